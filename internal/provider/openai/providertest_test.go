package openai_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/provider/providertest"
)

// suiteBackend runs the provider against an in-test chat-completions server
// answering in the shapes of the recordings in testdata/ (OpenAI's
// chat.completion and chat.completion.chunk objects: the role chunk, tool
// calls whose ID and name come only on their first chunk and whose
// arguments are split across chunks, a finish chunk, a usage-only chunk
// with empty choices when stream_options.include_usage asks for it, and
// [DONE]); errors in OpenAI's documented {"error":{…}} shape. Reasoning is
// reasoning_content (vLLM, DeepSeek), unsigned; cache reads are
// prompt_tokens_details.cached_tokens, counted inside prompt_tokens (the
// format has no cache writes, so those are plain prompt tokens); a failure
// mid-stream is a chunk with an error member and finish_reason "error", as
// OpenRouter documents it ("Handling Errors During Streaming").
type suiteBackend struct{}

// Can: everything but PDFs (the provider refuses binary documents by
// design: chat completions has no portable document part) and signed
// reasoning (OpenAI-compatible servers send none).
func (suiteBackend) Can(c providertest.Capability) bool {
	return c != providertest.ReadsPDF && c != providertest.SignsReasoning
}

func (suiteBackend) Start(t *testing.T, r providertest.Reply) *providertest.Session {
	t.Helper()
	f := &suiteFake{t: t, reply: r, released: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(hc.CloseIdleConnections)
	p, err := openai.New(openai.Options{BaseURL: srv.URL + "/v1", APIKey: "sk-suite", HTTPClient: hc, Name: "suite-openai"})
	if err != nil {
		t.Fatal(err)
	}
	return &providertest.Session{Provider: p, Received: f.received, Released: f.released}
}

func TestProviderSuite(t *testing.T) { providertest.Run(t, suiteBackend{}) }

type suiteFake struct {
	t        *testing.T
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

// suiteRequest is the part of a chat-completions request the fake reads.
type suiteRequest struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Messages []struct {
		Role       string                `json:"role"`
		Content    json.RawMessage       `json:"content"`
		ToolCalls  []struct{ ID string } `json:"tool_calls"`
		ToolCallID string                `json:"tool_call_id"`
	} `json:"messages"`
	Tools []struct {
		Function struct{ Name string } `json:"function"`
	} `json:"tools"`
}

func (f *suiteFake) note(req *suiteRequest) error {
	got := providertest.Received{Stream: req.Stream}
	for _, tool := range req.Tools {
		got.Tools = append(got.Tools, tool.Function.Name)
	}
	for _, m := range req.Messages {
		for _, tc := range m.ToolCalls {
			got.ToolUses = append(got.ToolUses, tc.ID)
		}
		if m.Role == "tool" {
			got.ToolResults = append(got.ToolResults, m.ToolCallID)
		}
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			got.UserTexts = append(got.UserTexts, s)
			continue
		}
		var parts []struct {
			Type     string
			Text     string
			ImageURL *struct{ URL string } `json:"image_url"`
		}
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return fmt.Errorf("user content %s: %w", m.Content, err)
		}
		for _, p := range parts {
			switch p.Type {
			case "text":
				if d, ok := inlineDocument(p.Text); ok {
					got.Documents = append(got.Documents, d)
					continue
				}
				got.UserTexts = append(got.UserTexts, p.Text)
			case "image_url":
				if p.ImageURL != nil && len(p.ImageURL.URL) > len("data:image/png;base64,") {
					got.Images++
				}
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, got)
	return nil
}

// inlineRE matches a document the provider inlined as a text part (see
// documentText): <document name="…" format="…">, an optional context, the
// text, </document>.
var inlineRE = regexp.MustCompile(`(?s)^<document name=("(?:[^"\\]|\\.)*")(?: format="[a-z]+")?>\n(?:<context>.*?</context>\n)?(.*)</document>$`)

// inlineDocument reads back a document the model receives as text.
func inlineDocument(s string) (providertest.Document, bool) {
	m := inlineRE.FindStringSubmatch(s)
	if m == nil {
		return providertest.Document{}, false
	}
	name, err := strconv.Unquote(m[1])
	if err != nil {
		return providertest.Document{}, false
	}
	return providertest.Document{Name: name, Text: m[2]}, true
}

func (f *suiteFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-suite" {
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
		typ := map[int]string{400: "invalid_request_error", 429: "rate_limit_exceeded"}[fl.Status]
		if typ == "" {
			typ = "server_error"
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fl.Status)
		writeJSON(w, map[string]any{"error": map[string]any{"message": fmt.Sprintf("Scripted HTTP %d.", fl.Status), "type": typ, "param": nil, "code": nil}})
		return
	}
	u := rp.Tokens()
	prompt := u.Input + u.CacheRead + u.CacheWrite
	usage := map[string]any{
		"prompt_tokens": prompt, "completion_tokens": u.Output, "total_tokens": prompt + u.Output,
		"prompt_tokens_details":     map[string]any{"cached_tokens": u.CacheRead, "audio_tokens": 0},
		"completion_tokens_details": map[string]any{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
	}
	finish := "stop"
	if len(rp.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil, "annotations": []any{}}
		if rp.Text != "" {
			msg["content"] = rp.Text
		}
		if rp.Reasoning != "" {
			msg["reasoning_content"] = rp.Reasoning
		}
		var calls []any
		for _, tc := range rp.ToolCalls {
			calls = append(calls, map[string]any{"id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Name, "arguments": string(providertest.InputJSON(tc))}})
		}
		if calls != nil {
			msg["tool_calls"] = calls
		}
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, map[string]any{
			"id": "chatcmpl-suite", "object": "chat.completion", "created": 1770747154, "model": req.Model,
			"choices":      []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":        usage,
			"service_tier": "default", "system_fingerprint": nil,
		})
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	send := func(choices []any, usage any) {
		fmt.Fprintf(w, "data: %s\n\n", mustJSON(map[string]any{
			"id": "chatcmpl-suite", "object": "chat.completion.chunk", "created": 1770747154, "model": req.Model,
			"service_tier": "default", "system_fingerprint": "fp_suite", "choices": choices, "usage": usage,
		}))
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}
	}
	role := true
	if rp.Text != "" || rp.Reasoning != "" {
		send(delta(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil), nil)
		role = false
		for _, word := range providertest.Words(rp.Reasoning) {
			send(delta(map[string]any{"reasoning_content": word}, nil), nil)
		}
		for i, word := range providertest.Words(rp.Text) {
			send(delta(map[string]any{"content": word}, nil), nil)
			if fl := rp.BreakOff; i == 0 && fl != nil {
				code := map[int]string{429: "rate_limit_exceeded"}[fl.Status]
				if code == "" {
					code = "server_error"
				}
				fmt.Fprintf(w, "data: %s\n\n", mustJSON(map[string]any{
					"id": "chatcmpl-suite", "object": "chat.completion.chunk", "created": 1770747154, "model": req.Model,
					"error":   map[string]any{"code": code, "message": fl.Message},
					"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": ""}, "finish_reason": "error"}},
				}))
				return
			}
			if i == 0 && rp.Stall {
				flusher.Flush()
				<-r.Context().Done()
				f.once.Do(func() { close(f.released) })
				return
			}
		}
	}
	for i, tc := range rp.ToolCalls {
		head := map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": tc.ID, "type": "function", "function": map[string]any{"name": tc.Name, "arguments": ""}}}}
		if role {
			head["role"], head["content"], head["refusal"] = "assistant", nil, nil
			role = false
		}
		send(delta(head, nil), nil)
		for _, piece := range providertest.Pieces(string(providertest.InputJSON(tc)), 4) {
			send(delta(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": piece}}}}, nil), nil)
		}
	}
	send(delta(map[string]any{}, finish), nil)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		send([]any{}, usage)
	}
	io.WriteString(w, "data: [DONE]\n\n")
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSON(w io.Writer, v any) { w.Write(mustJSON(v)) }
