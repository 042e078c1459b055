package server

import (
	"bytes"
	"context"
	"iter"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// scriptRouter streams a script: events, and waits (nil entries) at which a
// claiming provider flushes, as one does before reading its upstream.
type scriptRouter struct {
	Router // nil: the other operations are not used
	claim  bool
	script []*wire.StreamEvent
}

func (s *scriptRouter) ModelForms(id string) []string { return []string{id} }

func (s *scriptRouter) ConverseStream(ctx context.Context, _ *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		fl := provider.FlusherFrom(ctx)
		if s.claim {
			fl.Claim()
		}
		for _, ev := range s.script {
			if ev == nil {
				if s.claim {
					fl.Flush()
				}
				continue
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// flushRecorder notes how many body bytes had been written at each flush.
type flushRecorder struct {
	*httptest.ResponseRecorder
	flushedAt []int
}

func (f *flushRecorder) Flush() {
	f.flushedAt = append(f.flushedAt, f.Body.Len())
	f.ResponseRecorder.Flush()
}

// Frames are flushed where the provider waits, so events it had ready
// together leave in one write and none waits for a later one: the flushes
// fall exactly after the last frame before each wait, and after metadata.
// A provider that does not claim the flusher gets a flush per frame.
func TestStreamFlushesWhereTheProviderWaits(t *testing.T) {
	delta := func(s string) *wire.StreamEvent {
		return &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(s)}}}
	}
	script := []*wire.StreamEvent{
		{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, delta("Hel"), // first chunk
		nil,                          // wait for the upstream
		delta("lo"), delta(","), nil, // two chunks read together
		nil, // a wait with nothing new: no flush
		delta(" world"),
		{ContentBlockStop: &wire.ContentBlockStopEvent{}},
		{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
		{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 4, TotalTokens: 5}}},
	}
	frameEnds := func(evs []*wire.StreamEvent) []int {
		var b bytes.Buffer
		w := eventstream.NewWriter(&b, nil)
		var ends []int
		for _, ev := range evs {
			if ev != nil {
				if err := w.WriteEvent(ev); err != nil {
					t.Fatal(err)
				}
			}
			ends = append(ends, b.Len())
		}
		return ends
	}
	ends := frameEnds(script) // index i: bytes after script[:i+1]
	for _, tc := range []struct {
		name  string
		claim bool
		want  []int
	}{
		{"provider flushes before waits", true, []int{ends[1], ends[4], ends[10]}},
		{"provider does not", false, []int{ends[0], ends[1], ends[3], ends[4], ends[7], ends[8], ends[9], ends[10]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			validator, err := wire.NewValidator()
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(Options{Router: &scriptRouter{claim: tc.claim, script: script}, Validator: validator, Auth: auth.Open{}})
			if err != nil {
				t.Fatal(err)
			}
			body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
			req := httptest.NewRequest(http.MethodPost, "/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", strings.NewReader(body))
			rec := &flushRecorder{ResponseRecorder: httptest.NewRecorder()}
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.Len() != ends[len(ends)-1] {
				t.Fatalf("status %d, %d body bytes, want 200 and %d: %s", rec.Code, rec.Body.Len(), ends[len(ends)-1], rec.Body.String())
			}
			if diff := cmp.Diff(tc.want, rec.flushedAt); diff != "" {
				t.Errorf("body bytes at each flush (-want +got):\n%s", diff)
			}
		})
	}
}

// Request IDs are version 4 UUIDs in their usual spelling, as Bedrock's.
func TestRequestIDIsUUIDv4(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := newRequestID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("request ID %q: not a fresh UUID v4", id)
		}
		seen[id] = true
	}
	rec := httptest.NewRecorder()
	(&Server{mux: http.NewServeMux()}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if id := rec.Header().Get("x-amzn-RequestId"); !uuid.MatchString(id) {
		t.Errorf("x-amzn-RequestId %q", id)
	}
}
