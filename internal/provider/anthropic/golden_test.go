package anthropic

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/golden"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// testAPIKey must never appear in an error.
const testAPIKey = "sk-ant-test-secret-key"

// newTestProvider returns a provider against baseURL with a frozen clock,
// so golden output is stable.
func newTestProvider(t *testing.T, opts Options) *Provider {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testAPIKey
	}
	if opts.HTTPClient == nil {
		// A transport of its own, so no idle connection outlives the test.
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		opts.HTTPClient = &http.Client{Transport: tr}
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	frozen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.now = func() time.Time { return frozen }
	return p
}

func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return golden.IndentJSON(t, raw)
}

// decodeRequest reads a Converse request as the server would: decoded and
// validated.
func decodeRequest(t *testing.T, path string, stream bool) *wire.ConverseRequest {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var req wire.ConverseRequest
	if err := wire.Decode(raw, &req); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	req.ModelID = "anthropic.claude-sonnet-4-5-20250929-v1:0"
	v, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Converse(&req, stream); err != nil {
		t.Fatalf("validate %s: %v", path, err)
	}
	return &req
}

func cases(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases match %s (%v)", pattern, err)
	}
	return files
}

// TestRequestGolden: testdata/request/<case>.converse.json translates to
// <case>.anthropic.json.
func TestRequestGolden(t *testing.T) {
	for _, in := range cases(t, "request/*.converse.json") {
		name := strings.TrimSuffix(filepath.Base(in), ".converse.json")
		t.Run(name, func(t *testing.T) {
			req := decodeRequest(t, in, false)
			p := newTestProvider(t, Options{BaseURL: "http://unused.invalid"})
			r, err := p.buildRequest(req, "claude-sonnet-4-5", false)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, strings.TrimSuffix(in, ".converse.json")+".anthropic.json", golden.IndentJSON(t, r.body))
		})
	}
}

// replayServer answers POST /v1/messages with the bytes of file, after
// checking what every Anthropic request must carry. It records the bodies
// it received.
type replayServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	header http.Header
}

func newReplayServer(t *testing.T, status int, contentType string, body []byte) *replayServer {
	t.Helper()
	rs := &replayServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.bodies = append(rs.bodies, raw)
		rs.header = r.Header.Clone()
		rs.mu.Unlock()
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/v1/messages":
			http.Error(w, `{"type":"error","error":{"type":"not_found_error","message":"wrong route"}}`, http.StatusNotFound)
			return
		case r.Header.Get("x-api-key") != testAPIKey || r.Header.Get("anthropic-version") != DefaultVersion:
			http.Error(w, `{"type":"error","error":{"type":"authentication_error","message":"bad headers"}}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *replayServer) lastBody(t *testing.T) map[string]any {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.bodies) == 0 {
		t.Fatal("the server got no request")
	}
	var m map[string]any
	if err := json.Unmarshal(rs.bodies[len(rs.bodies)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func simpleCall() *provider.Call {
	return &provider.Call{
		ModelID:       "anthropic.claude-sonnet-4-5-20250929-v1:0",
		UpstreamModel: "claude-sonnet-4-5",
		Request: &wire.ConverseRequest{
			Messages:                          []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: wire.Ptr("Hello")}}}},
			AdditionalModelResponseFieldPaths: []string{"/stop_sequence", "/delta/stop_sequence"},
		},
	}
}

// TestResponseGolden: a recorded testdata/response/<case>.anthropic.json,
// served over HTTP, becomes <case>.converse.json.
func TestResponseGolden(t *testing.T) {
	for _, in := range cases(t, "response/*.anthropic.json") {
		name := strings.TrimSuffix(filepath.Base(in), ".anthropic.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			srv := newReplayServer(t, 200, "application/json", raw)
			p := newTestProvider(t, Options{BaseURL: srv.URL})
			out, err := p.Converse(t.Context(), simpleCall())
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.lastBody(t)["stream"]; got != nil {
				t.Errorf("non-streaming request sent stream=%v", got)
			}
			golden.Check(t, strings.TrimSuffix(in, ".anthropic.json")+".converse.json", encodeJSON(t, out))
		})
	}
}

// TestStreamGolden: a recorded testdata/stream/<case>.anthropic.sse,
// served byte for byte, becomes the ConverseStream frames in
// <case>.converse.events (exceptions as the frame the server would send).
func TestStreamGolden(t *testing.T) {
	for _, in := range cases(t, "stream/*.anthropic.sse") {
		name := strings.TrimSuffix(filepath.Base(in), ".anthropic.sse")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			srv := newReplayServer(t, 200, "text/event-stream; charset=utf-8", raw)
			p := newTestProvider(t, Options{BaseURL: srv.URL})
			var buf bytes.Buffer
			if err := eventstream.DumpEvents(&buf, p.ConverseStream(t.Context(), simpleCall())); err != nil {
				t.Fatal(err)
			}
			if got := srv.lastBody(t)["stream"]; got != true {
				t.Errorf("streaming request sent stream=%v", got)
			}
			golden.Check(t, strings.TrimSuffix(in, ".anthropic.sse")+".converse.events", buf.Bytes())
		})
	}
}
