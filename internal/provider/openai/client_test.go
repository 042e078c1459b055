package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

var _ provider.Provider = (*Provider)(nil)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func textRequest(text string) *wire.ConverseRequest {
	return &wire.ConverseRequest{Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: wire.Ptr(text)}}}}}
}

// recordingServer replays body and keeps what the client sent.
type recordingServer struct {
	*httptest.Server
	header http.Header
	body   map[string]any
}

func newRecordingServer(t *testing.T, status int, contentType string, body []byte) *recordingServer {
	t.Helper()
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusTeapot)
			return
		}
		rs.header = r.Header.Clone()
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &rs.body); err != nil {
			http.Error(w, "request body is not JSON", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestConverseEndToEnd(t *testing.T) {
	srv := newRecordingServer(t, 200, "application/json", mustRead(t, "testdata/response/openai-cached-tool.openai.json"))
	p := newTestProvider(t, srv.URL+"/v1/")
	img := []byte("\x89PNG\r\n\x1a\nfake")
	req := &wire.ConverseRequest{Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{
		{Text: wire.Ptr("What is the weather in Tokyo?")},
		{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: img}}},
	}}}}
	out, err := p.Converse(t.Context(), &provider.Call{ModelID: "anthropic.claude-3-haiku-20240307-v1:0", UpstreamModel: "gpt-4.1", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.header.Get("Authorization"); got != "Bearer "+testAPIKey {
		t.Errorf("Authorization = %q", got)
	}
	if got := srv.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if srv.body["model"] != "gpt-4.1" || srv.body["stream"] != nil {
		t.Errorf("model %v, stream %v; want gpt-4.1 and no stream", srv.body["model"], srv.body["stream"])
	}
	parts := srv.body["messages"].([]any)[0].(map[string]any)["content"].([]any)
	wantURL := "data:image/png;base64,iVBORw0KGgpmYWtl"
	if got := parts[1].(map[string]any)["image_url"].(map[string]any)["url"]; got != wantURL {
		t.Errorf("image url = %v, want %v", got, wantURL)
	}
	want := &wire.ConverseResponse{
		Output: &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{
			{ToolUse: &wire.ToolUseBlock{ToolUseID: "call_x9KzZUT3UYazEUJiRmE0PvaU", Name: "get_weather", Input: wire.Document(`{"location":"Tokyo"}`)}},
		}}},
		StopReason: wire.StopReasonToolUse,
		Usage:      &wire.TokenUsage{InputTokens: 35, OutputTokens: 14, TotalTokens: 1201, CacheReadInputTokens: wire.Ptr(1152)},
		Metrics:    &wire.ConverseMetrics{LatencyMs: 0},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
}

func TestConverseLatencyMeasured(t *testing.T) {
	srv := newRecordingServer(t, 200, "application/json", mustRead(t, "testdata/response/openai-text.openai.json"))
	p := newTestProvider(t, srv.URL+"/v1")
	at := time.Unix(100, 0)
	p.now = func() time.Time { at = at.Add(750 * time.Millisecond); return at }
	out, err := p.Converse(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if out.Metrics == nil || out.Metrics.LatencyMs != 750 {
		t.Errorf("metrics = %+v, want latencyMs 750 (one clock tick)", out.Metrics)
	}
}

func TestConverseStreamRequest(t *testing.T) {
	srv := newRecordingServer(t, 200, "text/event-stream", mustRead(t, "testdata/stream/openai-parallel-tools.openai.sse"))
	p := newTestProvider(t, srv.URL+"/v1")
	events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "gpt-4o", Request: textRequest("hi")}))
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, events)
	if srv.body["stream"] != true {
		t.Errorf("stream = %v", srv.body["stream"])
	}
	if diff := cmp.Diff(map[string]any{"include_usage": true}, srv.body["stream_options"]); diff != "" {
		t.Errorf("stream_options (-want +got):\n%s", diff)
	}
	if got := srv.header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q", got)
	}
}

// openAIError is a body in OpenAI's documented error shape, for statuses
// no recording has.
func openAIError(msg, typ string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
	return b
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        []byte
		wantType    string
		wantMessage string
		wantStatus  int
	}{
		{"400 recorded", 400, mustRead(t, "testdata/errors/openai-400.json"), wire.ValidationException, "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", 0},
		{"400 developer role recorded", 400, mustRead(t, "testdata/errors/openai-400-developer.json"), wire.ValidationException, "developer", 0},
		// converse's own key refused: not the caller's fault (see TestCredentialsRefused).
		{"401 key echoed by upstream", 401, openAIError("Incorrect API key provided: "+testAPIKey+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error"), wire.ServiceUnavailableException, "refused this server's credentials (HTTP 401)", 0},
		{"403", 403, openAIError("Project does not have access to model gpt-5", "invalid_request_error"), wire.ServiceUnavailableException, "refused this server's credentials (HTTP 403)", 0},
		{"404 recorded", 404, mustRead(t, "testdata/errors/openai-404.json"), wire.ResourceNotFoundException, "The model `gpt-4.1-nano-wrong` does not exist", 0},
		{"408", 408, openAIError("Request timed out.", "timeout"), wire.ModelTimeoutException, "Request timed out.", 0},
		{"429 recorded (OpenRouter)", 429, mustRead(t, "testdata/errors/openrouter-429.json"), wire.ThrottlingException, "Rate limit exceeded: limit_rpm/meta-llama", 0},
		{"422 vLLM detail", 422, []byte(`{"detail":"max_tokens must be at least 1"}`), wire.ValidationException, "max_tokens must be at least 1", 0},
		{"400 vLLM object error", 400, []byte(`{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`), wire.ValidationException, "maximum context length is 4096", 0},
		{"404 Ollama native string", 404, []byte(`{"error":"model \"llama3\" not found, try pulling it first"}`), wire.ResourceNotFoundException, `model "llama3" not found`, 0},
		{"500 llama.cpp", 500, []byte(`{"error":{"code":500,"message":"context shift is disabled","type":"server_error"}}`), wire.ModelErrorException, "context shift is disabled", 500},
		{"502", 502, []byte("<html>Bad Gateway</html>"), wire.ServiceUnavailableException, "HTTP 502: Bad Gateway", 0},
		{"503", 503, openAIError("The engine is currently overloaded, please try again later.", "server_error"), wire.ServiceUnavailableException, "overloaded", 0},
		{"504 empty body", 504, nil, wire.ModelTimeoutException, "Gateway Timeout", 0},
		{"529", 529, nil, wire.ServiceUnavailableException, "HTTP 529: Overloaded", 0},
		{"501", 501, []byte(`{"error":{"message":"streaming not implemented"}}`), wire.ModelErrorException, "streaming not implemented", 501},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecordingServer(t, tt.status, "application/json", tt.body)
			p := newTestProvider(t, srv.URL+"/v1")
			call := &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}
			_, convErr := p.Converse(t.Context(), call)
			var streamErr error
			n := 0
			for _, err := range p.ConverseStream(t.Context(), call) {
				n++
				streamErr = err
			}
			if n != 1 {
				t.Errorf("stream yielded %d items, want the error alone", n)
			}
			for op, err := range map[string]error{"Converse": convErr, "ConverseStream": streamErr} {
				var ex *wire.Exception
				if !errors.As(err, &ex) {
					t.Fatalf("%s: error %v is not a *wire.Exception", op, err)
				}
				if ex.Type != tt.wantType || ex.OriginalStatusCode != tt.wantStatus {
					t.Errorf("%s: %s (originalStatusCode %d), want %s (%d)", op, ex.Type, ex.OriginalStatusCode, tt.wantType, tt.wantStatus)
				}
				if !strings.Contains(ex.Message, tt.wantMessage) || !strings.Contains(ex.Message, `"local-openai"`) {
					t.Errorf("%s: message %q lacks %q or the backend name", op, ex.Message, tt.wantMessage)
				}
				if strings.Contains(ex.Error(), testAPIKey) {
					t.Errorf("%s: the API key leaked: %q", op, ex.Message)
				}
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := newTestProviderOpts(t, Options{BaseURL: "http://" + addr + "/v1", Name: "ollama-gpu1"})
	_, err = p.Converse(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")})
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || !strings.Contains(ex.Message, `"ollama-gpu1"`) {
		t.Fatalf("error = %v, want ServiceUnavailableException naming the backend", err)
	}
}

// hangingServer sends headers (and first, if any) and then waits until the
// client goes away; cancelled reports that it did.
func hangingServer(t *testing.T, first string) (srv *httptest.Server, cancelled chan struct{}) {
	t.Helper()
	cancelled = make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if first != "" {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(200)
			io.WriteString(w, first)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
		close(cancelled)
	}))
	return srv, cancelled
}

func waitClosed(t *testing.T, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was never cancelled")
	}
}

func TestTimeouts(t *testing.T) {
	defer goleak.VerifyNone(t)
	t.Run("converse", func(t *testing.T) {
		srv, cancelled := hangingServer(t, "")
		defer srv.Close()
		p := newTestProviderOpts(t, Options{BaseURL: srv.URL + "/v1", Timeout: 50 * time.Millisecond})
		_, err := p.Converse(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")})
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException {
			t.Fatalf("error = %v, want ModelTimeoutException", err)
		}
		waitClosed(t, cancelled)
	})
	t.Run("stream idle", func(t *testing.T) {
		first := "data: " + `{"choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n"
		srv, cancelled := hangingServer(t, first)
		defer srv.Close()
		p := newTestProviderOpts(t, Options{BaseURL: srv.URL + "/v1", IdleTimeout: 50 * time.Millisecond})
		events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException {
			t.Fatalf("error = %v, want ModelTimeoutException", err)
		}
		if len(events) != 2 || events[1].ContentBlockDelta == nil {
			t.Errorf("events before the timeout: %s", dumpEvents(t, events))
		}
		waitClosed(t, cancelled)
	})
}

func TestBreakClosesUpstream(t *testing.T) {
	defer goleak.VerifyNone(t)
	first := "data: " + `{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}` + "\n\n"
	srv, cancelled := hangingServer(t, first)
	defer srv.Close()
	p := newTestProvider(t, srv.URL+"/v1")
	n := 0
	for ev, err := range p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ev.ContentBlockDelta != nil {
			break
		}
	}
	if n != 2 {
		t.Errorf("got %d events, want messageStart and the first delta", n)
	}
	waitClosed(t, cancelled)
}

func TestCallerCancellation(t *testing.T) {
	defer goleak.VerifyNone(t)
	srv, cancelled := hangingServer(t, "")
	defer srv.Close()
	p := newTestProvider(t, srv.URL+"/v1")
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := p.Converse(ctx, &provider.Call{UpstreamModel: "m", Request: textRequest("hi")})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want the caller's cancellation", err)
	}
	waitClosed(t, cancelled)
}

func TestMidStreamFailures(t *testing.T) {
	chunk := func(s string) string { return "data: " + s + "\n\n" }
	text := chunk(`{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`)
	tests := []struct {
		name        string
		body        string
		wantEvents  int
		wantMessage string
	}{
		{"truncated without finish or DONE", text, 2, "ended before the answer was complete"},
		{"error chunk", text + chunk(`{"error":{"message":"CUDA out of memory","type":"server_error","code":500}}`), 2, "CUDA out of memory"},
		{"chunk is not JSON", text + chunk(`{"choices":[`), 2, "not JSON"},
		{"oversized line", text + "data: " + strings.Repeat("x", 2<<20) + "\n\n", 2, "oversized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRecordingServer(t, 200, "text/event-stream", []byte(tt.body))
			p := newTestProvider(t, srv.URL+"/v1")
			events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ModelStreamErrorException || !strings.Contains(ex.Message, tt.wantMessage) {
				t.Fatalf("error = %v, want ModelStreamErrorException with %q", err, tt.wantMessage)
			}
			if len(events) != tt.wantEvents {
				t.Errorf("%d events before the error, want %d:\n%s", len(events), tt.wantEvents, dumpEvents(t, events))
			}
		})
	}
}

// An error chunk naming a status maps like that status would have before
// the stream, as far as a stream can carry it.
func TestMidStreamErrorStatus(t *testing.T) {
	text := "data: " + `{"choices":[{"index":0,"delta":{"content":"Hel"}}]}` + "\n\n"
	for _, tc := range []struct {
		code       string
		wantType   string
		wantStatus int
	}{
		{`429`, wire.ThrottlingException, 0},
		{`503`, wire.ServiceUnavailableException, 0},
		{`504`, wire.ModelStreamErrorException, 504},
		{`"rate_limit_exceeded"`, wire.ModelStreamErrorException, 500},
	} {
		body := text + "data: " + `{"error":{"message":"stop","code":` + tc.code + `}}` + "\n\n"
		srv := newRecordingServer(t, 200, "text/event-stream", []byte(body))
		p := newTestProvider(t, srv.URL+"/v1")
		_, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
		ex := wire.AsException(err)
		if err == nil || ex.Type != tc.wantType || ex.OriginalStatusCode != tc.wantStatus {
			t.Errorf("code %s: %v (%d), want %s (%d)", tc.code, err, ex.OriginalStatusCode, tc.wantType, tc.wantStatus)
		}
	}
}

func TestEndWithoutDone(t *testing.T) {
	// Some servers finish the body after the finish chunk, without [DONE].
	body := `data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}` + "\n"
	srv := newRecordingServer(t, 200, "text/event-stream", []byte(body))
	p := newTestProvider(t, srv.URL+"/v1")
	events, err := collect(p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: textRequest("hi")}))
	if err != nil {
		t.Fatal(err)
	}
	checkOrder(t, events)
	want := "messageStart {\"role\":\"assistant\"}\n" +
		"contentBlockDelta {\"delta\":{\"text\":\"ok\"},\"contentBlockIndex\":0}\n" +
		"contentBlockStop {\"contentBlockIndex\":0}\n" +
		"messageStop {\"stopReason\":\"end_turn\"}\n" +
		"metadata {\"usage\":{\"inputTokens\":3,\"outputTokens\":1,\"totalTokens\":4},\"metrics\":{\"latencyMs\":0}}\n"
	if diff := cmp.Diff(want, string(dumpEvents(t, events))); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestRequestValidation(t *testing.T) {
	user := func(b ...wire.ContentBlock) *wire.ConverseRequest {
		return &wire.ConverseRequest{Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: b}}}
	}
	tests := []struct {
		name string
		req  *wire.ConverseRequest
		want string
	}{
		{"pdf document", user(wire.ContentBlock{Document: &wire.DocumentBlock{Format: wire.DocumentFormatPdf, Name: "report", Source: &wire.DocumentSource{Bytes: []byte("%PDF-1.7")}}}), `cannot read pdf documents (document "report")`},
		{"docx document", user(wire.ContentBlock{Document: &wire.DocumentBlock{Format: wire.DocumentFormatDocx, Name: "memo", Source: &wire.DocumentSource{Bytes: []byte("PK")}}}), "cannot read docx documents"},
		{"txt that is not UTF-8", user(wire.ContentBlock{Document: &wire.DocumentBlock{Format: wire.DocumentFormatTxt, Name: "bin", Source: &wire.DocumentSource{Bytes: []byte{0xff, 0xfe, 0x00}}}}), "not UTF-8"},
		{"document in S3", user(wire.ContentBlock{Document: &wire.DocumentBlock{Format: wire.DocumentFormatTxt, Name: "s3", Source: &wire.DocumentSource{S3Location: &wire.S3Location{URI: "s3://b/k"}}}}), "cannot read documents from S3"},
		{"image in S3", user(wire.ContentBlock{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{S3Location: &wire.S3Location{URI: "s3://b/k"}}}}), "not S3 locations"},
		{"video", user(wire.ContentBlock{Video: &wire.VideoBlock{Format: "mp4", Source: &wire.VideoSource{Bytes: []byte{1}}}}), "does not accept video"},
		{"audio", user(wire.ContentBlock{Audio: &wire.AudioBlock{Format: "mp3", Source: &wire.AudioSource{Bytes: []byte{1}}}}), "does not accept audio"},
		{"image in a tool result", user(wire.ContentBlock{ToolResult: &wire.ToolResultBlock{ToolUseID: "t", Content: []wire.ToolResultContentBlock{{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: []byte{1}}}}}}}), "only text, json and text documents in tool results"},
		{"system tool", &wire.ConverseRequest{Messages: textRequest("hi").Messages, ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{{SystemTool: &wire.SystemTool{Name: "nova_grounding"}}}}}, `no system tool "nova_grounding"`},
		{"reserved additional field", &wire.ConverseRequest{Messages: textRequest("hi").Messages, AdditionalModelRequestFields: wire.Document(`{"model":"other"}`)}, `may not set "model"`},
		{"additional fields not an object", &wire.ConverseRequest{Messages: textRequest("hi").Messages, AdditionalModelRequestFields: wire.Document(`[1]`)}, "must be a JSON object"},
	}
	called := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	defer srv.Close()
	p := newTestProvider(t, srv.URL+"/v1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Converse(t.Context(), &provider.Call{UpstreamModel: "m", Request: tt.req})
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException || !strings.Contains(ex.Message, tt.want) {
				t.Fatalf("error = %v, want ValidationException with %q", err, tt.want)
			}
		})
	}
	if called {
		t.Error("an invalid request reached the upstream")
	}
}

func TestNewOptions(t *testing.T) {
	for _, opts := range []Options{
		{},
		{BaseURL: "localhost:11434/v1"},
		{BaseURL: "ftp://example.com/v1"},
		{BaseURL: "http://x/v1", Timeout: -time.Second},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("New(%+v) accepted invalid options", opts)
		}
	}
	p, err := New(Options{BaseURL: "http://localhost:11434/v1/"})
	if err != nil {
		t.Fatal(err)
	}
	if p.endpoint != "http://localhost:11434/v1/chat/completions" || p.name != "openai" || p.timeout != DefaultTimeout || p.client == nil || p.client == http.DefaultClient {
		t.Errorf("defaults: endpoint %q, name %q, timeout %v", p.endpoint, p.name, p.timeout)
	}
}
