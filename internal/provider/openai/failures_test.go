package openai

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// logBuffer is a slog destination a test can read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// A backend refusing converse's own API key is not the caller's fault: the
// caller gets a ServiceUnavailableException that says so without the
// upstream's words, and the operator a warning naming the backend, the
// status and the upstream message (without the key).
func TestCredentialsRefused(t *testing.T) {
	for _, status := range []int{401, 403} {
		srv := newRecordingServer(t, status, "application/json", openAIError("Incorrect API key provided: "+testAPIKey+".", "invalid_request_error"))
		var logs logBuffer
		p := newTestProviderOpts(t, Options{BaseURL: srv.URL + "/v1", Logger: logs.logger()})
		call := &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}
		_, convErr := p.Converse(t.Context(), call)
		var streamErr error
		for _, err := range p.ConverseStream(t.Context(), call) {
			streamErr = err
		}
		for op, err := range map[string]error{"Converse": convErr, "ConverseStream": streamErr} {
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException {
				t.Fatalf("%d %s: %v, want ServiceUnavailableException", status, op, err)
			}
			if strings.Contains(ex.Message, "Incorrect API key") || strings.Contains(ex.Message, testAPIKey) {
				t.Errorf("%d %s: the caller sees the upstream's credential message: %q", status, op, ex.Message)
			}
		}
		out := logs.String()
		for _, want := range []string{"level=WARN", `backend=local-openai`, "status=" + strconv.Itoa(status), "Incorrect API key provided: [redacted]."} {
			if !strings.Contains(out, want) {
				t.Errorf("%d: log lacks %q:\n%s", status, want, out)
			}
		}
		if strings.Contains(out, testAPIKey) {
			t.Errorf("%d: the log holds the key:\n%s", status, out)
		}
	}
}

// redirecting is a backend that redirects every call to target with
// status, and a target that counts the calls that reach it.
func redirecting(t *testing.T, status int, sameHost bool) (srv *httptest.Server, reached *atomic.Int32) {
	t.Helper()
	reached = new(atomic.Int32)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(mustRead(t, "testdata/response/openai-text.openai.json"))
	}))
	t.Cleanup(other.Close)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved/chat/completions" {
			reached.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write(mustRead(t, "testdata/response/openai-text.openai.json"))
			return
		}
		target := other.URL + r.URL.Path
		if sameHost {
			target = "/moved/chat/completions"
		}
		http.Redirect(w, r, target, status)
	}))
	t.Cleanup(srv.Close)
	return srv, reached
}

// The backend client follows no redirect, to another host or its own: the
// caller gets a ServiceUnavailableException, nothing reaches the target,
// and the operator learns where the redirect pointed.
func TestRedirectsNotFollowed(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		sameHost bool
	}{
		{"307 to another host", http.StatusTemporaryRedirect, false},
		{"308 to another host", http.StatusPermanentRedirect, false},
		{"302 to another host", http.StatusFound, false},
		{"307 on the same host", http.StatusTemporaryRedirect, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, reached := redirecting(t, tc.status, tc.sameHost)
			var logs logBuffer
			p := newTestProviderOpts(t, Options{BaseURL: srv.URL + "/v1", Logger: logs.logger()})
			call := &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}
			_, convErr := p.Converse(t.Context(), call)
			var streamErr error
			for _, err := range p.ConverseStream(t.Context(), call) {
				streamErr = err
			}
			for op, err := range map[string]error{"Converse": convErr, "ConverseStream": streamErr} {
				var ex *wire.Exception
				if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || !strings.Contains(ex.Message, "redirect") {
					t.Errorf("%s: %v, want ServiceUnavailableException about a redirect", op, err)
				}
			}
			if n := reached.Load(); n != 0 {
				t.Errorf("%d calls followed the redirect", n)
			}
			if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "location=") {
				t.Errorf("no operator log line with the location:\n%s", out)
			}
		})
	}
}
