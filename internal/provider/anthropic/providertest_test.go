package anthropic_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/provider/providertest"
)

// suiteBackend runs the provider against an in-test Messages API server
// answering in the shapes of the recordings in testdata/: a message object
// with usage including the cache fields; a stream of message_start,
// content_block_start / ping / content_block_delta / content_block_stop,
// tool_use blocks whose input_json_delta starts with an empty
// partial_json (and has nothing else for a tool without arguments, as in
// stream/tool-no-args), message_delta with the stop reason and usage, and
// message_stop; errors as {"type":"error","error":{…},"request_id":…}.
// Reasoning is a thinking block with its signature (stream/thinking: a
// thinking content_block_start, thinking_delta pieces, an empty
// thinking_delta, one signature_delta); cache reads and writes are
// cache_read_input_tokens and cache_creation_input_tokens with the 5-minute
// split in cache_creation (response/cache-write-read); a failure mid-stream
// is an error event after the first text delta, as in
// stream/overloaded-midstream.synthetic.
type suiteBackend struct{}

func (suiteBackend) Can(providertest.Capability) bool { return true }

func (suiteBackend) Start(t *testing.T, r providertest.Reply) *providertest.Session {
	t.Helper()
	f := &suiteFake{reply: r, released: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(hc.CloseIdleConnections)
	p, err := anthropic.New(anthropic.Options{BaseURL: srv.URL, APIKey: "sk-ant-suite", HTTPClient: hc, Name: "suite-anthropic"})
	if err != nil {
		t.Fatal(err)
	}
	return &providertest.Session{Provider: p, Received: f.received, Released: f.released}
}

func TestProviderSuite(t *testing.T) { providertest.Run(t, suiteBackend{}) }

type suiteFake struct {
	reply    providertest.Reply
	mu       sync.Mutex
	seen     []providertest.Received
	once     sync.Once
	released chan struct{}
}

func (f *suiteFake) received() []providertest.Received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]providertest.Received(nil), f.seen...)
}

// suiteRequest is the part of a Messages request the fake reads.
type suiteRequest struct {
	Model     string          `json:"model"`
	MaxTokens int             `json:"max_tokens"`
	Stream    bool            `json:"stream"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name         string          `json:"name"`
		CacheControl json.RawMessage `json:"cache_control"`
	} `json:"tools"`
}

// suiteBlock is the part of a content or system block the fake reads.
type suiteBlock struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	ID        string `json:"id"`
	ToolUseID string `json:"tool_use_id"`
	Title     string `json:"title"`
	Source    *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type"`
		Data      string `json:"data"`
	} `json:"source"`
	CacheControl *struct {
		Type string `json:"type"`
	} `json:"cache_control"`
}

// cached reports a block marked for caching as Anthropic documents it.
func (b *suiteBlock) cached() bool {
	return b.CacheControl != nil && b.CacheControl.Type == "ephemeral"
}

func (f *suiteFake) note(req *suiteRequest) error {
	if req.Model == "" || req.MaxTokens <= 0 {
		return fmt.Errorf("model %q, max_tokens %d: both are required", req.Model, req.MaxTokens)
	}
	got := providertest.Received{Stream: req.Stream}
	for _, tool := range req.Tools {
		got.Tools = append(got.Tools, tool.Name)
		if len(tool.CacheControl) > 0 && string(tool.CacheControl) != "null" {
			got.CachePoints++
		}
	}
	var system []suiteBlock
	if len(req.System) > 0 && req.System[0] == '[' {
		if err := json.Unmarshal(req.System, &system); err != nil {
			return fmt.Errorf("system %s: %w", req.System, err)
		}
	}
	for _, b := range system {
		if b.cached() {
			got.CachePoints++
		}
	}
	for _, m := range req.Messages {
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			if m.Role == "user" {
				got.UserTexts = append(got.UserTexts, s)
			}
			continue
		}
		var blocks []suiteBlock
		if err := json.Unmarshal(m.Content, &blocks); err != nil {
			return fmt.Errorf("%s content %s: %w", m.Role, m.Content, err)
		}
		for _, b := range blocks {
			if b.cached() {
				got.CachePoints++
			}
			switch {
			case b.Type == "text" && m.Role == "user":
				got.UserTexts = append(got.UserTexts, b.Text)
			case b.Type == "image" && b.Source != nil && b.Source.Type == "base64" && b.Source.Data != "":
				got.Images++
			case b.Type == "tool_use":
				got.ToolUses = append(got.ToolUses, b.ID)
			case b.Type == "tool_result":
				got.ToolResults = append(got.ToolResults, b.ToolUseID)
			case b.Type == "document" && m.Role == "user" && b.Source != nil:
				d := providertest.Document{Name: b.Title}
				switch {
				case b.Source.Type == "base64" && b.Source.MediaType == "application/pdf":
					pdf, err := base64.StdEncoding.DecodeString(b.Source.Data)
					if err != nil {
						return fmt.Errorf("document %q: %w", b.Title, err)
					}
					d.PDF = pdf
				case b.Source.Type == "text" && b.Source.MediaType == "text/plain":
					d.Text = b.Source.Data
				default:
					return fmt.Errorf("document %q: source type %q, media type %q", b.Title, b.Source.Type, b.Source.MediaType)
				}
				got.Documents = append(got.Documents, d)
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, got)
	return nil
}

func (f *suiteFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" || r.Header.Get("x-api-key") != "sk-ant-suite" || r.Header.Get("anthropic-version") == "" {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
		return
	}
	var req suiteRequest
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &req); err != nil {
		http.Error(w, "request body: "+err.Error(), http.StatusTeapot)
		return
	}
	if err := f.note(&req); err != nil {
		http.Error(w, err.Error(), http.StatusTeapot)
		return
	}
	rp := f.reply
	if fl := rp.Fail; fl != nil {
		// Anthropic's documented error types by status (529 and, behind
		// proxies, 503 are overloaded_error).
		typ := map[int]string{400: "invalid_request_error", 429: "rate_limit_error", 500: "api_error", 503: "overloaded_error", 529: "overloaded_error"}[fl.Status]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fl.Status)
		writeJSON(w, map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": fmt.Sprintf("Scripted HTTP %d.", fl.Status)}, "request_id": "req_suite"})
		return
	}
	u := rp.Tokens()
	cacheCreation := map[string]any{"ephemeral_5m_input_tokens": u.CacheWrite, "ephemeral_1h_input_tokens": 0}
	stop := "end_turn"
	if len(rp.ToolCalls) > 0 {
		stop = "tool_use"
	}
	if !req.Stream {
		var content []any
		if rp.Reasoning != "" {
			content = append(content, map[string]any{"type": "thinking", "thinking": rp.Reasoning, "signature": rp.Signature})
		}
		if rp.Text != "" {
			content = append(content, map[string]any{"type": "text", "text": rp.Text})
		}
		for _, tc := range rp.ToolCalls {
			content = append(content, map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": json.RawMessage(providertest.InputJSON(tc))})
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, map[string]any{
			"model": req.Model, "id": "msg_suite", "type": "message", "role": "assistant", "content": content,
			"stop_reason": stop, "stop_sequence": nil,
			"usage": map[string]any{"input_tokens": u.Input, "cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead,
				"cache_creation": cacheCreation, "output_tokens": u.Output, "service_tier": "standard"},
		})
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	send := func(event string, data map[string]any) {
		data["type"] = event
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, mustJSON(data))
	}
	send("message_start", map[string]any{"message": map[string]any{
		"model": req.Model, "id": "msg_suite", "type": "message", "role": "assistant", "content": []any{},
		"stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": u.Input, "cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead,
			"cache_creation": cacheCreation, "output_tokens": 1, "service_tier": "standard"},
	}})
	idx := 0
	if rp.Reasoning != "" {
		send("content_block_start", map[string]any{"index": idx, "content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}})
		send("ping", map[string]any{})
		for _, word := range append(providertest.Words(rp.Reasoning), "") {
			send("content_block_delta", map[string]any{"index": idx, "delta": map[string]any{"type": "thinking_delta", "thinking": word}})
		}
		send("content_block_delta", map[string]any{"index": idx, "delta": map[string]any{"type": "signature_delta", "signature": rp.Signature}})
		send("content_block_stop", map[string]any{"index": idx})
		idx++
	}
	if rp.Text != "" {
		send("content_block_start", map[string]any{"index": idx, "content_block": map[string]any{"type": "text", "text": ""}})
		send("ping", map[string]any{})
		for i, word := range providertest.Words(rp.Text) {
			send("content_block_delta", map[string]any{"index": idx, "delta": map[string]any{"type": "text_delta", "text": word}})
			if i == 0 && rp.BreakOff != nil {
				typ := map[int]string{429: "rate_limit_error", 500: "api_error", 503: "overloaded_error", 529: "overloaded_error"}[rp.BreakOff.Status]
				send("error", map[string]any{"error": map[string]any{"type": typ, "message": rp.BreakOff.Message}})
				return
			}
			if i == 0 && rp.Stall {
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				f.once.Do(func() { close(f.released) })
				return
			}
		}
		send("content_block_stop", map[string]any{"index": idx})
		idx++
	}
	for _, tc := range rp.ToolCalls {
		send("content_block_start", map[string]any{"index": idx, "content_block": map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Name, "input": map[string]any{}}})
		send("content_block_delta", map[string]any{"index": idx, "delta": map[string]any{"type": "input_json_delta", "partial_json": ""}})
		if len(tc.Input) > 0 {
			for _, piece := range providertest.Pieces(string(providertest.InputJSON(tc)), 6) {
				send("content_block_delta", map[string]any{"index": idx, "delta": map[string]any{"type": "input_json_delta", "partial_json": piece}})
			}
		}
		send("content_block_stop", map[string]any{"index": idx})
		idx++
	}
	send("message_delta", map[string]any{"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
		"usage": map[string]any{"input_tokens": u.Input, "cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead, "output_tokens": u.Output}})
	send("message_stop", map[string]any{})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSON(w io.Writer, v any) { w.Write(mustJSON(v)) }
