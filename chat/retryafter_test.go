package chat_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/servertest"
)

// pipeListener is an in-memory network (net.Pipe), so that a converse
// server and a chat client can run inside a synctest bubble, where time is
// virtual.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, srv := net.Pipe()
	select {
	case l.conns <- srv:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A throttle from a converse quota carries x-amz-retry-after; the retryer
// waits that long even with no backoff of its own, so the first retry gets
// through (in virtual time, so the test does not wait).
func TestRetryAfterHeader(t *testing.T) {
	servertest.Tokens(t) // loaded outside the bubble
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		// 12 a minute: one request drips back every 5s, the most the
		// SDK lets the header add to the backoff.
		srv, err := servertest.Run(servertest.Options{Listener: ln, Quotas: ratelimit.Options{Rules: []ratelimit.Rule{{Name: "twelve", RequestsPerMinute: 12}}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{DialContext: ln.dial}
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			if err := srv.Stop(); err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		c, err := chat.New(t.Context(), chat.WithSettings(testSettings(srv.Endpoint)), chat.WithHTTPClient(&http.Client{Transport: tr}),
			chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay}), chat.WithOptions(chat.Options{Model: haiku}))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			if _, err := c.Prompt("Hello").Call(t.Context()); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		for _, mode := range []string{"call", "stream"} {
			began := time.Now()
			var err error
			if mode == "call" {
				_, err = c.Prompt("Hello").Call(t.Context())
			} else {
				_, err = streamErr(c, t.Context())
			}
			waited := time.Since(began)
			if err != nil {
				t.Fatalf("%s: %v, want success after waiting for the quota", mode, err)
			}
			if waited != 5*time.Second {
				t.Errorf("%s waited %v, want the 5s of x-amz-retry-after", mode, waited)
			}
		}
	})
}
