package upstream

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestTransportError(t *testing.T) {
	b := &Backend{Name: "vllm"}
	expired, cancel := b.WithTimeout(context.Background(), -time.Second)
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
		{"redirect", context.Background(), &RedirectError{Status: 307, Location: "http://x/"}, wire.ServiceUnavailableException},
		{"other", context.Background(), errors.New("reset"), wire.ServiceUnavailableException},
	} {
		err := b.TransportError(tc.ctx, tc.err)
		var ex *wire.Exception
		switch {
		case tc.want == "" && errors.As(err, &ex):
			t.Errorf("%s: %v, want a plain error", tc.name, err)
		case tc.want != "" && (!errors.As(err, &ex) || ex.Type != tc.want):
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		case tc.want != "" && !strings.Contains(ex.Message, `"vllm"`):
			t.Errorf("%s: message %q does not name the backend", tc.name, ex.Message)
		}
	}
}

// TestExceptionForStatus is the one table every HTTP backend uses; each
// row's reason is in ExceptionForStatus's comment.
func TestExceptionForStatus(t *testing.T) {
	for status, want := range map[int]string{
		400: wire.ValidationException,
		401: wire.ServiceUnavailableException,
		402: wire.ServiceUnavailableException,
		403: wire.ServiceUnavailableException,
		404: wire.ResourceNotFoundException,
		405: wire.ValidationException,
		407: wire.ServiceUnavailableException,
		408: wire.ModelTimeoutException,
		409: wire.ValidationException,
		413: wire.ValidationException,
		415: wire.ValidationException,
		422: wire.ValidationException,
		424: wire.ModelErrorException,
		429: wire.ThrottlingException,
		500: wire.ModelErrorException,
		501: wire.ModelErrorException,
		502: wire.ServiceUnavailableException,
		503: wire.ServiceUnavailableException,
		504: wire.ModelTimeoutException,
		520: wire.ModelErrorException,
		529: wire.ServiceUnavailableException,
		302: wire.ServiceUnavailableException,
		100: wire.ServiceUnavailableException,
	} {
		if got := ExceptionForStatus(status); got != want {
			t.Errorf("ExceptionForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

// Every exception the mapping produces is one Converse and ConverseStream
// may throw (the API model's list), so clients type it.
func TestMappingStaysInTheModel(t *testing.T) {
	thrown := map[string]bool{
		wire.AccessDeniedException: true, wire.ThrottlingException: true, wire.ResourceNotFoundException: true,
		wire.ModelTimeoutException: true, wire.InternalServerException: true, wire.ServiceUnavailableException: true,
		wire.ValidationException: true, wire.ModelNotReadyException: true, wire.ModelErrorException: true,
	}
	for status := 100; status < 600; status++ {
		if typ := ExceptionForStatus(status); !thrown[typ] || typ == wire.AccessDeniedException {
			t.Errorf("status %d maps to %s", status, typ)
		}
	}
}

func TestStatusError(t *testing.T) {
	var logs bytes.Buffer
	b := &Backend{Name: "vllm", Secret: "sk-secret", Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	for _, tc := range []struct {
		name       string
		status     int
		kind, msg  string
		want       *wire.Exception
		wantLogged bool
	}{
		{"validation", 400, "", "bad  ", &wire.Exception{Type: wire.ValidationException, Message: `Backend "vllm" returned HTTP 400: bad`}, false},
		{"with kind", 429, "rate_limit_error", "slow", &wire.Exception{Type: wire.ThrottlingException, Message: `Backend "vllm" returned HTTP 429 (rate_limit_error): slow`}, false},
		{"empty message", 503, "", "", &wire.Exception{Type: wire.ServiceUnavailableException, Message: `Backend "vllm" returned HTTP 503: Service Unavailable`}, false},
		{"529", 529, "", "", &wire.Exception{Type: wire.ServiceUnavailableException, Message: `Backend "vllm" returned HTTP 529: Overloaded`}, false},
		{"model failure carries the status", 500, "", "boom", &wire.Exception{Type: wire.ModelErrorException, Message: `Backend "vllm" returned HTTP 500: boom`, OriginalStatusCode: 500}, false},
		{"424 has no model status", 424, "", "x", &wire.Exception{Type: wire.ModelErrorException, Message: `Backend "vllm" returned HTTP 424: x`}, false},
		{"key redacted", 404, "", "no model for key sk-secret", &wire.Exception{Type: wire.ResourceNotFoundException, Message: `Backend "vllm" returned HTTP 404: no model for key [redacted]`}, false},
		{"credentials", 401, "authentication_error", "invalid key sk-secret", &wire.Exception{Type: wire.ServiceUnavailableException,
			Message: `Backend "vllm" is unavailable: it refused this server's credentials (HTTP 401). This is a server configuration problem, not a problem with your request.`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			got := b.StatusError(t.Context(), tc.status, tc.kind, tc.msg)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			out := logs.String()
			if logged := strings.Contains(out, "level=WARN"); logged != tc.wantLogged {
				t.Errorf("logged %v, want %v:\n%s", logged, tc.wantLogged, out)
			}
			if tc.wantLogged {
				for _, want := range []string{"backend=vllm", "status=401", "error=authentication_error", "invalid key [redacted]"} {
					if !strings.Contains(out, want) {
						t.Errorf("log lacks %q:\n%s", want, out)
					}
				}
			}
			if strings.Contains(out, "sk-secret") {
				t.Errorf("the key reached the log:\n%s", out)
			}
		})
	}
}

func TestStreamError(t *testing.T) {
	b := &Backend{Name: "claude"}
	for _, tc := range []struct {
		status     int
		wantType   string
		wantStatus int
		member     string
	}{
		{0, wire.ModelStreamErrorException, 500, "modelStreamErrorException"},
		{500, wire.ModelStreamErrorException, 500, "modelStreamErrorException"},
		{504, wire.ModelStreamErrorException, 504, "modelStreamErrorException"},
		{529, wire.ServiceUnavailableException, 0, "serviceUnavailableException"},
		{429, wire.ThrottlingException, 0, "throttlingException"},
		{400, wire.ValidationException, 0, "validationException"},
		{401, wire.ServiceUnavailableException, 0, "serviceUnavailableException"},
	} {
		ex := b.StreamError(t.Context(), tc.status, "kind", "msg")
		member, _ := ex.StreamMember()
		if ex.Type != tc.wantType || ex.OriginalStatusCode != tc.wantStatus || member != tc.member {
			t.Errorf("%d: %s (%d) as %s, want %s (%d) as %s", tc.status, ex.Type, ex.OriginalStatusCode, member, tc.wantType, tc.wantStatus, tc.member)
		}
		if ex.Type == wire.ModelStreamErrorException && ex.OriginalMessage != "msg" {
			t.Errorf("%d: originalMessage %q", tc.status, ex.OriginalMessage)
		}
	}
}

func TestClean(t *testing.T) {
	b := &Backend{Secret: "sk-abc"}
	long := strings.Repeat("é", MaxMessage) // two bytes each: the cut falls inside one
	for in, want := range map[string]string{
		"  key sk-abc here \n": "key [redacted] here",
		long:                   strings.Repeat("é", MaxMessage/2) + "…",
	} {
		if got := b.Clean(in); got != want {
			t.Errorf("Clean(%.20q…) = %.20q…, want %.20q…", in, got, want)
		}
	}
}

func TestBudget(t *testing.T) {
	g := (&Backend{Name: "b"}).Budget(10)
	if err := g.Take(6); err != nil {
		t.Fatal(err)
	}
	err := g.Take(5)
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ModelStreamErrorException || ex.OriginalStatusCode != 200 || g.Used() != 6 {
		t.Fatalf("over budget: %v, used %d", err, g.Used())
	}
	g.Give(6)
	if err := g.Take(10); err != nil || g.Used() != 10 {
		t.Errorf("after giving back: %v, used %d", err, g.Used())
	}
	if d := (&Backend{}).Budget(0); d.max != DefaultMaxBufferedBytes {
		t.Errorf("default %d", d.max)
	}
}

func events(evs ...*wire.StreamEvent) []*wire.StreamEvent { return evs }

var (
	start = &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}
	delta = &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("x")}}}
)

// The first-token deadline runs from Watch; content switches to the idle
// deadline, restarted after each batch the consumer took; a lone
// messageStart is held and counts for nothing; the consumer's own time is
// not counted.
func TestLiveness(t *testing.T) {
	b := &Backend{Name: "m"}
	synctest.Test(t, func(t *testing.T) {
		ctx, l := b.Watch(t.Context(), 10*time.Second, 3*time.Second)
		defer l.Stop()
		var got []*wire.StreamEvent
		yield := func(ev *wire.StreamEvent, _ error) bool {
			got = append(got, ev)
			time.Sleep(time.Hour) // a slow consumer: not the upstream's time
			return true
		}
		time.Sleep(9 * time.Second)
		l.Emit(events(start), yield)
		if len(got) != 0 || l.Started() {
			t.Fatal("a lone messageStart went out")
		}
		time.Sleep(900 * time.Millisecond)
		if ctx.Err() != nil {
			t.Fatal("expired before the first-token deadline")
		}
		l.Emit(events(delta), yield)
		if diff := cmp.Diff(events(start, delta), got); diff != "" || !l.Started() {
			t.Fatalf("events (-want +got):\n%s", diff)
		}
		time.Sleep(2 * time.Second)
		if ctx.Err() != nil {
			t.Fatal("expired within the idle timeout")
		}
		l.Emit(events(delta), yield)
		time.Sleep(2 * time.Second)
		if ctx.Err() != nil {
			t.Fatal("content did not reset the idle timer")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if ctx.Err() == nil {
			t.Fatal("not expired after the idle timeout")
		}
		var ex *wire.Exception
		if err := b.TransportError(ctx, ctx.Err()); !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException || !strings.Contains(ex.Message, "idle_timeout") {
			t.Errorf("error %v, want a ModelTimeoutException naming idle_timeout", err)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, l := b.Watch(t.Context(), 0, 0)
		defer l.Stop()
		<-ctx.Done()
		if err := b.TransportError(ctx, ctx.Err()); !strings.Contains(err.Error(), "within 1m0s") || !strings.Contains(err.Error(), "first_token_timeout") {
			t.Errorf("default first-token expiry: %v", err)
		}
		if got := l.Fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: "m", OriginalStatusCode: 502}); cmp.Diff(&wire.Exception{Type: wire.ModelErrorException, Message: "m", OriginalStatusCode: 502}, got) != "" {
			t.Errorf("Fail before the first event = %v, want a ModelErrorException", got)
		}
	})
}

// The client follows no redirect: the call fails with a RedirectError
// naming the status and the location, and nothing reaches the target.
func TestClientRefusesRedirects(t *testing.T) {
	reached := false
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/x", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	base := &http.Client{Transport: &http.Transport{}, Timeout: time.Minute}
	c := Client(base)
	if c == base || c.Timeout != time.Minute || c.Transport != base.Transport || base.CheckRedirect != nil {
		t.Error("Client must copy the client it is given, keeping its settings")
	}
	resp, err := c.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
	}
	var re *RedirectError
	if !errors.As(err, &re) || re.Status != http.StatusTemporaryRedirect || re.Location != target.URL+"/x" || reached {
		t.Errorf("err %v (reached %v), want a RedirectError to %s/x", err, reached, target.URL)
	}
	if Client(nil).Transport == nil || Client(nil) == http.DefaultClient {
		t.Error("Client(nil) must build a client of its own")
	}
	base.Transport.(*http.Transport).CloseIdleConnections()
}
