package anthropic

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider/providertest"
	"github.com/conversekit/converse/internal/wire"
)

// pipeProvider is a provider whose backend is h, served in process so that
// it runs inside a synctest bubble with the provider's timers.
func pipeProvider(t *testing.T, h http.HandlerFunc, opts Options) *Provider {
	t.Helper()
	opts.BaseURL = "http://backend.test"
	opts.HTTPClient = &http.Client{Transport: providertest.PipeTransport{Handler: h}}
	return newTestProvider(t, opts)
}

const (
	messageStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n"
	textStart    = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	textDelta    = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
	ping         = "event: ping\ndata: {\"type\": \"ping\"}\n\n"
)

// pinging answers with events, then pings every second for a simulated
// half hour unless the client leaves.
func pinging(events ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		if _, err := io.WriteString(w, strings.Join(events, "")); err != nil {
			return
		}
		for range 30 * 60 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
			if _, err := io.WriteString(w, ping); err != nil {
				return
			}
		}
	}
}

func timedStream(t *testing.T, p *Provider) ([]string, time.Duration, error) {
	t.Helper()
	start := time.Now()
	var kinds []string
	for ev, err := range p.ConverseStream(t.Context(), simpleCall()) {
		if err != nil {
			return kinds, time.Since(start), err
		}
		kinds = append(kinds, ev.EventType())
	}
	return kinds, time.Since(start), nil
}

// Pings, and a message_start with nothing after it, are no content: they
// neither count as the first token nor reset the idle timer. Before any
// content the client has seen no event (so the router can fall back).
func TestPingsDoNotKeepStreamAlive(t *testing.T) {
	for _, tc := range []struct {
		name      string
		events    []string
		opts      Options
		wantKinds []string
		wantAfter time.Duration
		setting   string
	}{
		{"pings only, defaults", nil, Options{}, nil, time.Minute, "first_token_timeout"},
		{"message_start then pings, defaults", []string{messageStart}, Options{}, nil, time.Minute, "first_token_timeout"},
		{"content then pings, defaults", []string{messageStart, textStart, textDelta}, Options{}, []string{"messageStart", "contentBlockDelta"}, time.Minute, "idle_timeout"},
		{"message_start then pings, configured", []string{messageStart}, Options{FirstTokenTimeout: 3 * time.Minute}, nil, 3 * time.Minute, "first_token_timeout"},
		{"content then pings, configured", []string{messageStart, textStart, textDelta}, Options{IdleTimeout: 10 * time.Second}, []string{"messageStart", "contentBlockDelta"}, 10 * time.Second, "idle_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pipeProvider(t, pinging(tc.events...), tc.opts)
				kinds, took, err := timedStream(t, p)
				var ex *wire.Exception
				if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException || !strings.Contains(ex.Message, tc.setting) {
					t.Fatalf("error = %v, want ModelTimeoutException naming %s", err, tc.setting)
				}
				if diff := cmp.Diff(tc.wantKinds, kinds); diff != "" {
					t.Errorf("events before the timeout (-want +got):\n%s", diff)
				}
				if took != tc.wantAfter {
					t.Errorf("failed after %v, want %v", took, tc.wantAfter)
				}
			})
		})
	}
}

// A stream that opens content blocks and never closes them holds state for
// each: the budget ends it with a ModelStreamErrorException instead of
// growing without bound.
func TestOpenBlocksAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(messageStart)
	for i := range 40000 {
		fmt.Fprintf(&b, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":%d,\"content_block\":{\"type\":\"text\",\"text\":\"x\"}}\n\n", i)
	}
	b.WriteString("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
	srv := newReplayServer(t, 200, "text/event-stream", []byte(b.String()))
	p := newTestProvider(t, Options{BaseURL: srv.URL, Name: "claude"})
	n := 0
	var last error
	for ev, err := range p.ConverseStream(t.Context(), simpleCall()) {
		if err != nil {
			last = err
			break
		}
		n++
		_ = ev
	}
	var ex *wire.Exception
	if !errors.As(last, &ex) || ex.Type != wire.ModelStreamErrorException || !strings.Contains(ex.Message, "holds back") || !strings.Contains(ex.Message, `"claude"`) {
		t.Fatalf("after %d events: error = %v, want a ModelStreamErrorException about held-back content", n, last)
	}
	if n == 0 {
		t.Error("the stream failed before it started")
	}
}
