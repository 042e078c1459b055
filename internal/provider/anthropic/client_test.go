package anthropic

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

func TestNew(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.endpoint != "https://api.anthropic.com/v1/messages" || p.version != "2023-06-01" || p.maxTokens != 4096 || p.name != "anthropic" || p.timeout != DefaultTimeout {
		t.Errorf("defaults: endpoint %q version %q maxTokens %d name %q timeout %v", p.endpoint, p.version, p.maxTokens, p.name, p.timeout)
	}
	if !p.ReportsCacheUsage() {
		t.Error("ReportsCacheUsage() = false")
	}
	for _, bad := range []Options{{BaseURL: "api.anthropic.com"}, {BaseURL: "ftp://x"}, {Timeout: -1}, {DefaultMaxTokens: -1}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%v) succeeded", bad)
		}
	}
	if s := (Options{APIKey: testAPIKey}).String(); strings.Contains(s, testAPIKey) {
		t.Errorf("Options.String() leaks the key: %s", s)
	}
}

// TestRequestHeaders: the call carries the key, the version, the beta
// header from anthropic_beta, and the default max_tokens.
func TestRequestHeaders(t *testing.T) {
	raw, err := os.ReadFile("testdata/response/text.anthropic.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := newReplayServer(t, 200, "application/json", raw)
	p := newTestProvider(t, Options{BaseURL: srv.URL + "/"})
	c := simpleCall()
	c.Request.AdditionalModelRequestFields = wire.Document(`{"anthropic_beta":["a-1","b-2"],"top_k":5}`)
	if _, err := p.Converse(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if got := srv.header.Get("anthropic-beta"); got != "a-1,b-2" {
		t.Errorf("anthropic-beta = %q", got)
	}
	body := srv.lastBody(t)
	if body["max_tokens"] != float64(DefaultMaxTokens) || body["model"] != "claude-sonnet-4-5" || body["top_k"] != float64(5) {
		t.Errorf("body = %v", body)
	}
	if _, ok := body["anthropic_beta"]; ok {
		t.Error("anthropic_beta left in the body")
	}
}

func TestRequestErrors(t *testing.T) {
	text := []wire.ContentBlock{{Text: wire.Ptr("hi")}}
	tests := []struct {
		name string
		req  wire.ConverseRequest
		want string // substring of the ValidationException message
	}{
		{"leading cachePoint", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{CachePoint: &wire.CachePointBlock{Type: "default"}}}}}}, "messages.0.content.0: a cachePoint must follow"},
		{"system role", wire.ConverseRequest{Messages: []wire.Message{{Role: "system", Content: text}}}, "messages.0.role"},
		{"video", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Video: &wire.VideoBlock{Format: "mp4"}}}}}}, "video"},
		{"s3 image", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Image: &wire.ImageBlock{Format: "png", Source: &wire.ImageSource{S3Location: &wire.S3Location{URI: "s3://b/k"}}}}}}}}, "S3"},
		{"docx", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Document: &wire.DocumentBlock{Format: "docx", Name: "d", Source: &wire.DocumentSource{Bytes: []byte("PK")}}}}}}}, "docx"},
		{"system tool", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: text}}, ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{{SystemTool: &wire.SystemTool{Name: "nova_grounding"}}}}}, "nova_grounding"},
		{"reserved field", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: text}}, AdditionalModelRequestFields: wire.Document(`{"messages":[]}`)}, `"messages"`},
		{"fields not an object", wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: text}}, AdditionalModelRequestFields: wire.Document(`[1]`)}, "JSON object"},
	}
	p := newTestProvider(t, Options{BaseURL: "http://unused.invalid"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.buildRequest(&tt.req, "m", false)
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException || !strings.Contains(ex.Message, tt.want) {
				t.Fatalf("err = %v, want a ValidationException containing %q", err, tt.want)
			}
		})
	}
}

// TestStatusErrors: each upstream error status and type becomes the
// Bedrock exception a client of the real service would get, with the
// upstream message and never the key.
func TestStatusErrors(t *testing.T) {
	recorded := func(name string) string {
		b, err := os.ReadFile("testdata/errors/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	body := func(typ, msg string) string {
		return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_011"}`
	}
	tests := []struct {
		name     string
		status   int
		body     string
		wantType string
		wantCode int
		wantMsg  string
	}{
		{"recorded 400", 400, recorded("invalid-request.400.json"), wire.ValidationException, 0, "does not support effort level 'xhigh'"},
		{"recorded 404", 404, recorded("not-found.404.json"), wire.ResourceNotFoundException, 0, "model: claude-does-not-exist"},
		// converse's own key refused: not the caller's fault.
		{"401", 401, body("authentication_error", "invalid x-api-key "+testAPIKey), wire.ServiceUnavailableException, 0, "refused this server's credentials (HTTP 401)"},
		{"403", 403, body("permission_error", "no access"), wire.ServiceUnavailableException, 0, "refused this server's credentials (HTTP 403)"},
		{"402 billing", 402, body("billing_error", "credit balance too low"), wire.ServiceUnavailableException, 0, "refused this server's credentials (HTTP 402)"},
		{"413", 413, body("request_too_large", "Request exceeds the maximum allowed number of bytes."), wire.ValidationException, 0, "maximum allowed"},
		{"429", 429, body("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), wire.ThrottlingException, 0, "rate limit"},
		{"500", 500, body("api_error", "Internal server error"), wire.ModelErrorException, 500, "api_error"},
		{"529", 529, body("overloaded_error", "Overloaded"), wire.ServiceUnavailableException, 0, "HTTP 529 (overloaded_error): Overloaded"},
		{"529 empty body", 529, "", wire.ServiceUnavailableException, 0, "Overloaded"},
		{"502 html", 502, "<html>bad gateway</html>", wire.ServiceUnavailableException, 0, "Bad Gateway"},
		{"504 timeout_error", 504, body("timeout_error", "Request timed out"), wire.ModelTimeoutException, 0, "timed out"},
		{"504 empty body", 504, "", wire.ModelTimeoutException, 0, "HTTP 504: Gateway Timeout"},
		{"500 html", 500, "<html>oops</html>", wire.ModelErrorException, 500, "HTTP 500: Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			p := newTestProvider(t, Options{BaseURL: srv.URL, Name: "claude"})
			check := func(err error) {
				t.Helper()
				var ex *wire.Exception
				if !errors.As(err, &ex) {
					t.Fatalf("err = %v, want a *wire.Exception", err)
				}
				if ex.Type != tt.wantType || ex.OriginalStatusCode != tt.wantCode || !strings.Contains(ex.Message, tt.wantMsg) || !strings.Contains(ex.Message, `"claude"`) {
					t.Errorf("got %s (originalStatusCode %d), want %s (%d) containing %q", ex, ex.OriginalStatusCode, tt.wantType, tt.wantCode, tt.wantMsg)
				}
				if strings.Contains(ex.Message, testAPIKey) {
					t.Errorf("message leaks the API key: %s", ex.Message)
				}
			}
			_, err := p.Converse(t.Context(), simpleCall())
			check(err)
			// Before the 200 a stream fails the same way.
			n := 0
			for ev, err := range p.ConverseStream(t.Context(), simpleCall()) {
				n++
				if ev != nil {
					t.Fatalf("event before the error: %v", ev)
				}
				check(err)
			}
			if n != 1 {
				t.Errorf("stream yielded %d items, want 1 error", n)
			}
		})
	}
}

func TestStreamErrorEvents(t *testing.T) {
	p := newTestProvider(t, Options{BaseURL: "http://unused.invalid"})
	tests := []struct {
		data     string
		wantType string
		member   string
	}{
		{`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, wire.ServiceUnavailableException, "serviceUnavailableException"},
		{`{"type":"error","error":{"type":"api_error","message":"boom"}}`, wire.ModelStreamErrorException, "modelStreamErrorException"},
		{`{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`, wire.ThrottlingException, "throttlingException"},
		{`{"type":"error","error":{"type":"something_new","message":"?"}}`, wire.ModelStreamErrorException, "modelStreamErrorException"},
	}
	for _, tt := range tests {
		ex := p.streamError(t.Context(), []byte(tt.data))
		if member, _ := ex.StreamMember(); ex.Type != tt.wantType || member != tt.member {
			t.Errorf("%s: got %s as %s, want %s as %s", tt.data, ex.Type, member, tt.wantType, tt.member)
		}
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		p := newTestProvider(t, Options{BaseURL: "http://" + addr, Name: "claude-direct"})
		_, err = p.Converse(t.Context(), simpleCall())
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || !strings.Contains(ex.Message, `"claude-direct"`) {
			t.Errorf("err = %v, want ServiceUnavailableException naming the backend", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The server notices a closed connection only once the body is read.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}))
		defer srv.Close()
		p := newTestProvider(t, Options{BaseURL: srv.URL, Timeout: 20 * time.Millisecond})
		_, err := p.Converse(t.Context(), simpleCall())
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException {
			t.Errorf("err = %v, want ModelTimeoutException", err)
		}
	})
	t.Run("truncated stream", func(t *testing.T) {
		raw, err := os.ReadFile("testdata/stream/cache-read.anthropic.sse")
		if err != nil {
			t.Fatal(err)
		}
		cut := raw[:strings.Index(string(raw), "event: message_stop")]
		srv := newReplayServer(t, 200, "text/event-stream", cut)
		p := newTestProvider(t, Options{BaseURL: srv.URL})
		var last error
		for _, err := range p.ConverseStream(t.Context(), simpleCall()) {
			last = err
		}
		if ex := wire.AsException(last); last == nil || ex.Type != wire.ModelStreamErrorException {
			t.Errorf("last = %v, want ModelStreamErrorException", last)
		}
	})
}

// TestStreamBreakClosesUpstream: a consumer that stops early releases the
// upstream request (the server sees its context cancelled) and leaves no
// goroutine behind.
func TestStreamBreakClosesUpstream(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cancelled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(cancelled)
	}))
	tr := &http.Transport{}
	p, err := New(Options{BaseURL: srv.URL, APIKey: testAPIKey, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ev, err := range p.ConverseStream(t.Context(), &provider.Call{UpstreamModel: "m", Request: simpleCall().Request}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ev.ContentBlockDelta != nil {
			break
		}
	}
	if n != 2 {
		t.Errorf("got %d events before breaking, want 2", n)
	}
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled after the consumer stopped")
	}
	tr.CloseIdleConnections()
	srv.Close()
}

// A redirect is not followed: net/http would carry the x-api-key header
// (it drops only Authorization and cookies) and the prompt to wherever the
// backend points.
func TestRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			leaked.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"type":"message","role":"assistant","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	p := newTestProvider(t, Options{BaseURL: srv.URL, Name: "claude"})
	_, err := p.Converse(t.Context(), simpleCall())
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || !strings.Contains(ex.Message, "redirect") {
		t.Errorf("err = %v, want ServiceUnavailableException about a redirect", err)
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the API key reached the redirect target %d times", n)
	}
}
