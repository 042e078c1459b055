package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/golden"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// newTestProvider returns a provider against baseURL with deterministic
// tool-use IDs and a frozen clock, so golden output is stable.
func newTestProvider(t *testing.T, baseURL string) *Provider {
	t.Helper()
	return newTestProviderOpts(t, Options{BaseURL: baseURL})
}

// testAPIKey must never appear in an error.
const testAPIKey = "sk-test-secret-key"

func newTestProviderOpts(t *testing.T, opts Options) *Provider {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testAPIKey
	}
	if opts.Name == "" {
		opts.Name = "local-openai"
	}
	if opts.HTTPClient == nil {
		// A transport of its own, so that no idle connection outlives the
		// test (goleak).
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		opts.HTTPClient = &http.Client{Transport: tr}
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	p.newID = func() string { n++; return fmt.Sprintf("tooluse_generated%d", n) }
	frozen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.now = func() time.Time { return frozen }
	return p
}

func marshalIndent(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func cases(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases match %s", pattern)
	}
	return files
}

func readRequest(t *testing.T, path string) *wire.ConverseRequest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var req wire.ConverseRequest
	if err := wire.Decode(raw, &req); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &req
}

// TestRequestGolden: testdata/request/<case>.converse.json → <case>.openai.json.
func TestRequestGolden(t *testing.T) {
	p := newTestProvider(t, "http://upstream.invalid/v1")
	for _, in := range cases(t, "request/*.converse.json") {
		name := strings.TrimSuffix(filepath.Base(in), ".converse.json")
		t.Run(name, func(t *testing.T) {
			body, err := p.buildRequest(readRequest(t, in), "test-model", false)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(in, ".converse.json")+".openai.json", golden.IndentJSON(t, body))
		})
	}
}

// TestResponseGolden: testdata/response/<case>.openai.json (recorded chat
// completions) → <case>.converse.json.
func TestResponseGolden(t *testing.T) {
	p := newTestProvider(t, "http://upstream.invalid/v1")
	for _, in := range cases(t, "response/*.openai.json") {
		name := strings.TrimSuffix(filepath.Base(in), ".openai.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.translateResponse(raw, &wire.ConverseRequest{})
			if err != nil {
				t.Fatal(err)
			}
			checkResponse(t, out)
			golden.Check(t, strings.TrimSuffix(in, ".openai.json")+".converse.json", marshalIndent(t, out))
		})
	}
}

// TestStreamGolden replays each recorded stream byte for byte from an
// OpenAI-compatible test server and dumps the ConverseStream events:
// testdata/stream/<case>.openai.sse → <case>.converse.events.
func TestStreamGolden(t *testing.T) {
	for _, in := range cases(t, "stream/*.openai.sse") {
		name := strings.TrimSuffix(filepath.Base(in), ".openai.sse")
		t.Run(name, func(t *testing.T) {
			sse, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			srv := replayServer(t, http.StatusOK, "text/event-stream", sse)
			p := newTestProvider(t, srv.URL+"/v1")
			events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "test-model", Request: &wire.ConverseRequest{}}))
			if err != nil {
				t.Fatal(err)
			}
			checkOrder(t, events)
			golden.Check(t, strings.TrimSuffix(in, ".openai.sse")+".converse.events", dumpEvents(t, events))
		})
	}
}

// replayServer answers every POST /v1/chat/completions with body exactly.
func replayServer(t *testing.T, status int, contentType string, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func collect(seq func(func(*wire.StreamEvent, error) bool)) ([]*wire.StreamEvent, error) {
	var out []*wire.StreamEvent
	for ev, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// dumpEvents writes one event per line: its type, then its payload as JSON.
func dumpEvents(t *testing.T, events []*wire.StreamEvent) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, ev := range events {
		b, err := json.Marshal(ev.Payload())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&buf, "%s %s\n", ev.EventType(), b)
	}
	return buf.Bytes()
}

// checkOrder asserts Bedrock's event order (converse-wire.md §7.4):
// messageStart first; blocks 0, 1, 2… one after another, contentBlockStart
// only for tool use, at least one delta each, tool input that parses as
// JSON (unless the stop reason is malformed_tool_use, which announces
// exactly that: input fragments are streamed before they can be checked);
// then messageStop and metadata last.
func checkOrder(t *testing.T, events []*wire.StreamEvent) {
	t.Helper()
	if len(events) < 3 {
		t.Fatalf("only %d events", len(events))
	}
	if events[0].MessageStart == nil {
		t.Errorf("first event is %s, want messageStart", events[0].EventType())
	}
	if n := len(events); events[n-2].MessageStop == nil || events[n-1].Metadata == nil {
		t.Errorf("last events are %s, %s; want messageStop, metadata", events[n-2].EventType(), events[n-1].EventType())
	} else if m := events[n-1].Metadata; m.Usage == nil || m.Metrics == nil {
		t.Errorf("metadata without usage or metrics: %+v", m)
	}
	last := events[len(events)-2].MessageStop
	malformed := last != nil && last.StopReason == wire.StopReasonMalformedToolUse
	next, open, deltas := 0, -1, 0
	var input strings.Builder
	isTool := false
	for i, ev := range events[1 : len(events)-2] {
		switch {
		case ev.ContentBlockStart != nil:
			s := ev.ContentBlockStart
			if open >= 0 || s.ContentBlockIndex != next {
				t.Fatalf("event %d: contentBlockStart %d while block %d open, next %d", i+1, s.ContentBlockIndex, open, next)
			}
			if s.Start == nil || s.Start.ToolUse == nil || s.Start.ToolUse.ToolUseID == "" || s.Start.ToolUse.Name == "" {
				t.Fatalf("event %d: contentBlockStart without a complete toolUse: %+v", i+1, s.Start)
			}
			open, isTool = next, true
		case ev.ContentBlockDelta != nil:
			d := ev.ContentBlockDelta
			if open < 0 {
				if d.ContentBlockIndex != next {
					t.Fatalf("event %d: delta for block %d, want %d", i+1, d.ContentBlockIndex, next)
				}
				open, isTool = next, false
			}
			if d.ContentBlockIndex != open {
				t.Fatalf("event %d: delta for block %d while %d is open", i+1, d.ContentBlockIndex, open)
			}
			if (d.Delta.ToolUse != nil) != isTool {
				t.Fatalf("event %d: delta kind does not match block kind", i+1)
			}
			if d.Delta.ToolUse != nil {
				input.WriteString(d.Delta.ToolUse.Input)
			}
			deltas++
		case ev.ContentBlockStop != nil:
			if ev.ContentBlockStop.ContentBlockIndex != open || deltas == 0 {
				t.Fatalf("event %d: contentBlockStop %d, open %d, %d deltas", i+1, ev.ContentBlockStop.ContentBlockIndex, open, deltas)
			}
			if isTool && !malformed && !json.Valid([]byte(input.String())) {
				t.Errorf("block %d: tool input %q is not JSON", open, input.String())
			}
			open, deltas, next = -1, 0, next+1
			input.Reset()
		default:
			t.Fatalf("event %d: unexpected %s inside the message", i+1, ev.EventType())
		}
	}
	if open >= 0 {
		t.Errorf("block %d never stopped", open)
	}
}

// checkResponse asserts what Bedrock requires of a Converse response.
func checkResponse(t *testing.T, out *wire.ConverseResponse) {
	t.Helper()
	if out.Output == nil || out.Output.Message == nil || out.Output.Message.Content == nil {
		t.Fatal("no output message content")
	}
	if out.StopReason == "" || out.Usage == nil {
		t.Fatalf("stopReason %q, usage %v", out.StopReason, out.Usage)
	}
	u := out.Usage
	cached := 0
	if u.CacheReadInputTokens != nil {
		cached = *u.CacheReadInputTokens
	}
	if u.TotalTokens != u.InputTokens+cached+u.OutputTokens {
		t.Errorf("totalTokens %d != %d + %d + %d", u.TotalTokens, u.InputTokens, cached, u.OutputTokens)
	}
	for _, b := range out.Output.Message.Content {
		if b.ToolUse != nil && !json.Valid(b.ToolUse.Input) {
			t.Errorf("toolUse %s input %q is not JSON", b.ToolUse.ToolUseID, b.ToolUse.Input)
		}
	}
}
