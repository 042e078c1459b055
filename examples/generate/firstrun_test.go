package main

import (
	"bytes"
	"context"
	"iter"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// Without a model the sample says so in one line and exits 2 at once,
// instead of listening and answering every request with 502.
func TestRefusesToStartWithoutModel(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no model":    {"CONVERSE_ENDPOINT": "http://127.0.0.1:1"},
		"empty model": {"CONVERSE_ENDPOINT": "http://127.0.0.1:1", "CONVERSE_CHAT_OPTIONS_MODEL": ""},
		"bad timeout": {"CONVERSE_CHAT_OPTIONS_MODEL": "amazon.nova-lite-v1:0", "CONVERSE_TIMEOUT": "ten minutes"},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // were it to start serving, it would stop at once
			if code := run(ctx, lookup, &stderr); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			out := stderr.String()
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "generate: ") {
				t.Errorf("printed %q, want one line", out)
			}
			if name != "bad timeout" && !strings.Contains(out, "CONVERSE_CHAT_OPTIONS_MODEL") {
				t.Errorf("printed %q, want it to name CONVERSE_CHAT_OPTIONS_MODEL", out)
			}
		})
	}
}

// hanging is a router whose model never answers: it says when a call
// arrives and returns when the call is cancelled.
type hanging struct {
	server.Router
	called chan struct{}
}

func (h hanging) Converse(ctx context.Context, _ *provider.Call) (*wire.ConverseResponse, error) {
	h.called <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (h hanging) ConverseStream(ctx context.Context, _ *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		h.called <- struct{}{}
		<-ctx.Done()
		yield(nil, ctx.Err())
	}
}

// levels is a slog handler that keeps each record's level and message.
type levels struct {
	mu  sync.Mutex
	got []string
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *levels) WithGroup(string) slog.Handler            { return l }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, r.Level.String()+" "+r.Message)
	return nil
}

// A client that hangs up while the model is answering is not an error of
// the sample: it is logged at INFO, not ERROR.
func TestClientDisconnectIsNotAnError(t *testing.T) {
	called := make(chan struct{}, 1)
	endpoint := servertest.Start(t, servertest.Options{Wrap: func(r server.Router) server.Router { return hanging{r, called} }})
	c, err := chat.New(t.Context(),
		chat.WithSettings(chat.Settings{Endpoint: endpoint, AccessKey: "test", SecretKey: "test"}),
		chat.WithOptions(chat.Options{Model: "amazon.nova-lite-v1:0"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	logs := &levels{}
	handled := make(chan struct{}, 1)
	h := Handler(c, slog.New(logs))
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		handled <- struct{}{}
	}))
	t.Cleanup(hs.Close)

	for _, path := range []string{"/ai/generate", "/ai/generateStream"} {
		ctx, cancel := context.WithCancel(t.Context())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{}
		go func() {
			if resp, err := tr.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
		}()
		guard := time.After(60 * time.Second) // a hang guard only
		select {
		case <-called:
		case <-guard:
			t.Fatalf("%s: the model was never called", path)
		}
		cancel() // the client hangs up while the model is busy
		select {
		case <-handled:
		case <-guard:
			t.Fatalf("%s: the handler did not return after the client left", path)
		}
		tr.CloseIdleConnections()
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.got) != 2 {
		t.Errorf("logged %q, want one line per hang-up", logs.got)
	}
	for _, l := range logs.got {
		if !strings.HasPrefix(l, "INFO ") {
			t.Errorf("logged %q, want INFO: a hang-up is not an error", l)
		}
	}
}
