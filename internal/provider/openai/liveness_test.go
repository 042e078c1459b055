package openai

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/providertest"
	"github.com/conversekit/converse/internal/wire"
)

// pipeProvider is a provider whose backend is h, served in process so that
// it runs inside a synctest bubble with the provider's timers.
func pipeProvider(t *testing.T, h http.HandlerFunc, opts Options) *Provider {
	t.Helper()
	opts.BaseURL = "http://backend.test/v1"
	opts.HTTPClient = &http.Client{Transport: providertest.PipeTransport{Handler: h}}
	return newTestProviderOpts(t, opts)
}

// sseBackend answers with the chunks in order, waiting gap between them,
// then (unless the client left) repeats keepAlive every second for a
// simulated half hour: a backend that never finishes.
func sseBackend(gap time.Duration, keepAlive string, chunks ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		wait := func(d time.Duration) bool {
			select {
			case <-r.Context().Done():
				return false
			case <-time.After(d):
				return true
			}
		}
		for i, c := range chunks {
			if i > 0 && !wait(gap) {
				return
			}
			if _, err := io.WriteString(w, "data: "+c+"\n\n"); err != nil {
				return
			}
		}
		if keepAlive == "" {
			return
		}
		for range 30 * 60 {
			if !wait(time.Second) {
				return
			}
			if _, err := io.WriteString(w, keepAlive); err != nil {
				return
			}
		}
	}
}

// timedStream runs a stream and reports its events, its error and how long
// it took on the bubble's clock.
func timedStream(t *testing.T, p *Provider) ([]string, time.Duration, error) {
	t.Helper()
	start := time.Now()
	var kinds []string
	var failure error
	for ev, err := range p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}) {
		if err != nil {
			failure = err
			break
		}
		kinds = append(kinds, ev.EventType())
	}
	return kinds, time.Since(start), failure
}

func wantTimeout(t *testing.T, err error) {
	t.Helper()
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException {
		t.Fatalf("error = %v, want ModelTimeoutException", err)
	}
}

const (
	emptyChunk = `data: {"choices":[]}` + "\n\n"
	textChunk  = `{"choices":[{"index":0,"delta":{"content":"Hel"}}]}`
	doneChunk  = `{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`
)

// A backend that sends only empty chunks (data: {"choices":[]}) every
// second keeps nothing alive: with no timeouts configured the stream fails
// after the default time to first token with a ModelTimeoutException and
// no event before it, so the router can still fall back.
func TestEmptyChunksDoNotKeepStreamAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pipeProvider(t, sseBackend(0, emptyChunk, `{"choices":[]}`), Options{})
		kinds, took, err := timedStream(t, p)
		wantTimeout(t, err)
		if len(kinds) != 0 {
			t.Errorf("events before the timeout: %v, want none", kinds)
		}
		if took != time.Minute {
			t.Errorf("failed after %v, want the default first-token timeout of 1m", took)
		}
	})
}

// Once content flowed, empty chunks do not reset the idle timer either: the
// stream ends one idle timeout after the last content.
func TestEmptyChunksAfterContent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := pipeProvider(t, sseBackend(0, emptyChunk, textChunk), Options{})
		kinds, took, err := timedStream(t, p)
		wantTimeout(t, err)
		if diff := cmp.Diff([]string{"messageStart", "contentBlockDelta"}, kinds); diff != "" {
			t.Errorf("events before the timeout (-want +got):\n%s", diff)
		}
		if took != time.Minute {
			t.Errorf("failed after %v, want the default idle timeout of 1m after the content", took)
		}
	})
}

// A backend that accepts the request and never answers (no headers, or
// headers and nothing else) is given up after the default first-token
// timeout, not ten minutes.
func TestHungBackend(t *testing.T) {
	for name, headers := range map[string]bool{"no headers": false, "headers only": true} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pipeProvider(t, func(w http.ResponseWriter, r *http.Request) {
					io.Copy(io.Discard, r.Body)
					if headers {
						w.Header().Set("Content-Type", "text/event-stream")
						w.WriteHeader(http.StatusOK)
					}
					<-r.Context().Done()
				}, Options{})
				kinds, took, err := timedStream(t, p)
				wantTimeout(t, err)
				if len(kinds) != 0 || took != time.Minute {
					t.Errorf("events %v after %v; want none after 1m", kinds, took)
				}
			})
		})
	}
}

// Content resets the idle timer: an answer whose pieces come 50 s apart
// finishes, though it takes far longer than either timeout.
func TestSlowContentFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		chunks := []string{}
		for range 10 {
			chunks = append(chunks, textChunk)
		}
		chunks = append(chunks, doneChunk)
		p := pipeProvider(t, sseBackend(50*time.Second, "", chunks...), Options{})
		kinds, took, err := timedStream(t, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(kinds) != 15 || kinds[len(kinds)-1] != "metadata" || took != 500*time.Second {
			t.Errorf("events %v after %v, want 15 ending in metadata after 500s", kinds, took)
		}
	})
}

// The configured timeouts replace the defaults, each for its own wait.
func TestConfiguredTimeouts(t *testing.T) {
	opts := Options{FirstTokenTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	t.Run("first token", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := pipeProvider(t, sseBackend(0, emptyChunk, `{"choices":[]}`), opts)
			kinds, took, err := timedStream(t, p)
			wantTimeout(t, err)
			if len(kinds) != 0 || took != 5*time.Minute {
				t.Errorf("events %v after %v, want none after 5m", kinds, took)
			}
			if ex := err.(*wire.Exception); !strings.Contains(ex.Message, "first_token_timeout") {
				t.Errorf("message %q does not name the setting", ex.Message)
			}
		})
	})
	t.Run("idle", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// The first content comes after 4 minutes, within the first-token
			// timeout; then two idle minutes end the stream.
			p := pipeProvider(t, sseBackend(4*time.Minute, emptyChunk, `{"choices":[]}`, textChunk), opts)
			kinds, took, err := timedStream(t, p)
			wantTimeout(t, err)
			if len(kinds) != 2 || took != 6*time.Minute {
				t.Errorf("events %v after %v, want 2 after 6m", kinds, took)
			}
			if ex := err.(*wire.Exception); !strings.Contains(ex.Message, "idle_timeout") {
				t.Errorf("message %q does not name the setting", ex.Message)
			}
		})
	})
}
