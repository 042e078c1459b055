package upstream

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportError(t *testing.T) {
	expired, cancel := WithTimeout(context.Background(), -time.Second)
	defer cancel()
	gone, cancelGone := context.WithCancel(context.Background())
	cancelGone()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string // exception type, "" for a plain error
	}{
		{"our deadline", expired, errors.New("x"), wire.ModelTimeoutException},
		{"caller gone", gone, errors.New("x"), ""},
		{"net timeout", context.Background(), timeoutErr{}, wire.ModelTimeoutException},
		{"refused", context.Background(), &net.OpError{Err: syscall.ECONNREFUSED}, wire.ServiceUnavailableException},
		{"dns", context.Background(), &net.DNSError{Name: "nowhere"}, wire.ServiceUnavailableException},
		{"other", context.Background(), errors.New("reset"), wire.ServiceUnavailableException},
	} {
		err := TransportError(tc.ctx, tc.err, "vllm", time.Minute)
		var ex *wire.Exception
		switch {
		case tc.want == "" && errors.As(err, &ex):
			t.Errorf("%s: %v, want a plain error", tc.name, err)
		case tc.want != "" && (!errors.As(err, &ex) || ex.Type != tc.want):
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		case tc.want != "" && tc.want != wire.ModelTimeoutException && !strings.Contains(ex.Message, `"vllm"`):
			t.Errorf("%s: message %q does not name the backend", tc.name, ex.Message)
		}
	}
}

func TestIdle(t *testing.T) {
	ctx, idle, stop := Idle(context.Background(), 10*time.Millisecond)
	defer stop()
	idle.Reset(time.Hour)
	if ctx.Err() != nil {
		t.Fatal("cancelled early")
	}
	idle.Reset(0)
	<-ctx.Done()
	if !TimedOut(ctx) {
		t.Errorf("cause %v, want the timeout cause", context.Cause(ctx))
	}
}
