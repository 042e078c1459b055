package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
)

// spanLog is a span processor that keeps ended spans and lets a test wait
// for them: a server span ends after the last byte is written, which the
// client may have read already.
type spanLog struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
	ended chan struct{}
}

func newSpanLog() *spanLog { return &spanLog{ended: make(chan struct{}, 64)} }

func (l *spanLog) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (l *spanLog) Shutdown(context.Context) error                  { return nil }
func (l *spanLog) ForceFlush(context.Context) error                { return nil }
func (l *spanLog) OnEnd(s sdktrace.ReadOnlySpan) {
	l.mu.Lock()
	l.spans = append(l.spans, s)
	l.mu.Unlock()
	l.ended <- struct{}{}
}

func (l *spanLog) done() []sdktrace.ReadOnlySpan {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sdktrace.ReadOnlySpan(nil), l.spans...)
}

// wait returns once n spans have ended (60 s is a hang guard only).
func (l *spanLog) wait(t *testing.T, n int) []sdktrace.ReadOnlySpan {
	t.Helper()
	for len(l.done()) < n {
		select {
		case <-l.ended:
		case <-time.After(60 * time.Second):
			t.Fatalf("%d spans ended, want %d", len(l.done()), n)
		}
	}
	return l.done()
}

// tracing returns server tracing into a fresh span log.
func tracing(t *testing.T) (server.Tracing, *spanLog) {
	t.Helper()
	log := newSpanLog()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(log))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	return server.Tracing{TracerProvider: tp, Propagator: prop}, log
}

// tracedClient is a backend's HTTP client as cmd/converse builds it.
func tracedClient(tr server.Tracing) *http.Client {
	return &http.Client{Transport: upstream.Traced(http.DefaultTransport.(*http.Transport).Clone(), tr.Propagator)}
}

// fakeOpenAI answers chat completions, recording each request's traceparent.
type fakeOpenAI struct {
	*httptest.Server
	mu          sync.Mutex
	traceparent []string
}

func newFakeOpenAI(t *testing.T, status int, body string) *fakeOpenAI {
	t.Helper()
	f := &fakeOpenAI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.traceparent = append(f.traceparent, r.Header.Get("traceparent"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOpenAI) traceparents() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.traceparent...)
}

const openAIAnswer = `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1",
"choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"finish_reason":"stop"}],
"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}}`

// withTraceparent sends a W3C traceparent as an instrumented caller would.
func withTraceparent(tp string) func(*bedrockruntime.Options) {
	return func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("traceparent", tp))
	}
}

// attrs flattens a span's attributes to their printed values.
func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}

func byKind(t *testing.T, spans []sdktrace.ReadOnlySpan, kind trace.SpanKind) []sdktrace.ReadOnlySpan {
	t.Helper()
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.SpanKind() == kind {
			out = append(out, s)
		}
	}
	return out
}

// checkAttrs compares the attributes in want; a value "*" only requires
// the attribute, and keys in absent must not be set.
func checkAttrs(t *testing.T, what string, s sdktrace.ReadOnlySpan, want map[string]string, absent ...string) {
	t.Helper()
	got := attrs(s)
	sub := map[string]string{}
	for k, v := range want {
		if g, ok := got[k]; ok {
			if v == "*" {
				g = "*"
			}
			sub[k] = g
		}
	}
	if diff := cmp.Diff(want, sub); diff != "" {
		t.Errorf("%s attributes (-want +got):\n%s\nall: %v", what, diff, got)
	}
	for _, k := range absent {
		if v, ok := got[k]; ok {
			t.Errorf("%s has %s=%s, want none", what, k, v)
		}
	}
}

const (
	traceModel  = "anthropic.claude-3-haiku-20240307-v1:0"
	callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan  = "00f067aa0ba902b7"
)

// A Converse call through the official SDK is one SERVER span continuing
// the caller's trace and one CLIENT span for the backend call, named and
// attributed after the GenAI conventions; the backend receives the client
// span's context.
func TestTraceConverse(t *testing.T) {
	tr, log := tracing(t)
	backend := newFakeOpenAI(t, http.StatusOK, openAIAnswer)
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends:      map[string]provider.Provider{"vllm": p},
		Routes:        []router.Route{{Pattern: "*", Target: router.Target{Backend: "vllm", Model: "gpt-4.1"}}},
		Tracing:       tr,
		ProviderNames: map[string]string{"vllm": "openai", "builtin": "converse"},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	_, err = client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(traceModel),
		Messages: []types.Message{userText("Hello")},
		InferenceConfig: &types.InferenceConfiguration{
			MaxTokens: aws.Int32(100), Temperature: aws.Float32(0.5), TopP: aws.Float32(0.25),
		},
	}, withTraceparent("00-"+callerTrace+"-"+callerSpan+"-01"))
	if err != nil {
		t.Fatal(err)
	}
	spans := log.wait(t, 2)
	srv, cli := byKind(t, spans, trace.SpanKindServer), byKind(t, spans, trace.SpanKindClient)
	if len(srv) != 1 || len(cli) != 1 {
		t.Fatalf("%d server and %d client spans, want 1 and 1", len(srv), len(cli))
	}
	s, c := srv[0], cli[0]

	if got, want := s.Name(), "chat "+traceModel; got != want {
		t.Errorf("server span name %q, want %q", got, want)
	}
	if got := s.Parent(); got.TraceID().String() != callerTrace || got.SpanID().String() != callerSpan || !got.IsRemote() {
		t.Errorf("server span parent %v/%v remote=%v, want the caller's %s/%s", got.TraceID(), got.SpanID(), got.IsRemote(), callerTrace, callerSpan)
	}
	checkAttrs(t, "server span", s, map[string]string{
		"gen_ai.operation.name":                "chat",
		"gen_ai.provider.name":                 "aws.bedrock",
		"gen_ai.request.model":                 traceModel,
		"gen_ai.response.model":                "gpt-4.1",
		"gen_ai.request.max_tokens":            "100",
		"gen_ai.request.temperature":           "0.5",
		"gen_ai.request.top_p":                 "0.25",
		"gen_ai.usage.input_tokens":            "12",
		"gen_ai.usage.output_tokens":           "3",
		"gen_ai.usage.cache_read.input_tokens": "4",
		"gen_ai.response.finish_reasons":       `["end_turn"]`,
		"http.request.method":                  "POST",
		"http.route":                           "/model/{modelId}/converse",
		"http.response.status_code":            "200",
		"aws.request_id":                       "*",
	}, "error.type", "gen_ai.request.stream")
	if s.Status().Code != codes.Unset {
		t.Errorf("server span status %v, want unset", s.Status())
	}

	if got, want := c.Name(), "chat gpt-4.1"; got != want {
		t.Errorf("client span name %q, want %q", got, want)
	}
	if c.Parent().SpanID() != s.SpanContext().SpanID() || c.SpanContext().TraceID().String() != callerTrace {
		t.Errorf("client span is not the server span's child in the caller's trace")
	}
	host, port, _ := strings.Cut(strings.TrimPrefix(backend.URL, "http://"), ":")
	checkAttrs(t, "client span", c, map[string]string{
		"gen_ai.operation.name":                "chat",
		"gen_ai.provider.name":                 "openai",
		"gen_ai.request.model":                 "gpt-4.1",
		"gen_ai.response.model":                "gpt-4.1",
		"gen_ai.request.max_tokens":            "100",
		"gen_ai.request.temperature":           "0.5",
		"gen_ai.request.top_p":                 "0.25",
		"gen_ai.usage.input_tokens":            "12",
		"gen_ai.usage.output_tokens":           "3",
		"gen_ai.usage.cache_read.input_tokens": "4",
		"gen_ai.response.finish_reasons":       `["end_turn"]`,
		"server.address":                       host,
		"server.port":                          port,
		"converse.backend":                     "vllm",
	}, "error.type")

	want := fmt.Sprintf("00-%s-%s-01", callerTrace, c.SpanContext().SpanID())
	if diff := cmp.Diff([]string{want}, backend.traceparents()); diff != "" {
		t.Errorf("traceparent at the backend (-want +got):\n%s", diff)
	}
}

// Each backend attempt is its own client span: a throttled backend's span
// carries its error, the fallback's the answer, both under one server span
// that succeeded.
func TestTraceFallback(t *testing.T) {
	tr, log := tracing(t)
	backend := newFakeOpenAI(t, http.StatusTooManyRequests, `{"error":{"message":"slow down","type":"rate_limit"}}`)
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"vllm": p},
		Routes: []router.Route{{Pattern: "*", Target: router.Target{Backend: "vllm", Model: "gpt-4.1"},
			Fallbacks: []router.Target{{Backend: "builtin"}}}},
		Tracing:       tr,
		ProviderNames: map[string]string{"vllm": "openai", "builtin": "converse"},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	if _, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(traceModel), Messages: []types.Message{userText("Hello")},
	}); err != nil {
		t.Fatal(err)
	}
	spans := log.wait(t, 3)
	srv, cli := byKind(t, spans, trace.SpanKindServer), byKind(t, spans, trace.SpanKindClient)
	if len(srv) != 1 || len(cli) != 2 {
		t.Fatalf("%d server and %d client spans, want 1 and 2", len(srv), len(cli))
	}
	for _, c := range cli {
		if c.Parent().SpanID() != srv[0].SpanContext().SpanID() {
			t.Errorf("client span %q is not the server span's child", c.Name())
		}
	}
	throttled, answered := cli[0], cli[1]
	if throttled.StartTime().After(answered.StartTime()) {
		throttled, answered = answered, throttled
	}
	checkAttrs(t, "throttled attempt", throttled, map[string]string{
		"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4.1", "error.type": "ThrottlingException",
	}, "gen_ai.usage.output_tokens")
	if throttled.Status().Code != codes.Error {
		t.Errorf("throttled attempt status %v, want Error", throttled.Status())
	}
	checkAttrs(t, "fallback attempt", answered, map[string]string{
		"gen_ai.provider.name": "converse", "gen_ai.request.model": traceModel, "gen_ai.response.model": traceModel,
		"gen_ai.response.finish_reasons": `["end_turn"]`, "gen_ai.usage.output_tokens": "*", "converse.backend": "builtin",
	}, "error.type", "server.address")
	checkAttrs(t, "server span", srv[0], map[string]string{
		"gen_ai.response.model": traceModel, "http.response.status_code": "200",
	}, "error.type")
}

// A request refused before any backend is a server span with the
// exception's error.type and no client span; only a 5xx is an error status.
func TestTraceErrors(t *testing.T) {
	tr, log := tracing(t)
	backend := newFakeOpenAI(t, http.StatusServiceUnavailable, `{"error":{"message":"overloaded"}}`)
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"vllm": p},
		Routes:   []router.Route{{Pattern: "down.*", Target: router.Target{Backend: "vllm"}}},
		Tracing:  tr,
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	for _, tc := range []struct {
		model, errorType, status string
		code                     codes.Code
		clientSpans              int
	}{
		{traceModel + "-typo", "ValidationException", "400", codes.Unset, 0},
		{"down.model", "ServiceUnavailableException", "503", codes.Error, 1},
	} {
		before := len(log.done())
		_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
			ModelId: aws.String(tc.model), Messages: []types.Message{userText("Hello")},
		})
		if err == nil {
			t.Fatalf("%s: no error", tc.model)
		}
		spans := log.wait(t, before+1+tc.clientSpans)[before:]
		srv := byKind(t, spans, trace.SpanKindServer)
		if len(srv) != 1 || len(spans) != 1+tc.clientSpans {
			t.Fatalf("%s: %d spans (%d server), want %d", tc.model, len(spans), len(srv), 1+tc.clientSpans)
		}
		checkAttrs(t, tc.model, srv[0], map[string]string{
			"error.type": tc.errorType, "http.response.status_code": tc.status, "gen_ai.request.model": tc.model,
		})
		if srv[0].Status().Code != tc.code {
			t.Errorf("%s: status %v, want %v", tc.model, srv[0].Status().Code, tc.code)
		}
		for _, c := range byKind(t, spans, trace.SpanKindClient) {
			checkAttrs(t, tc.model+" client", c, map[string]string{"error.type": tc.errorType, "gen_ai.provider.name": "unknown"})
		}
	}
}

// fakeAnthropicStream streams one answer, holding its end until release is
// closed, with the cache counts Anthropic reports.
func fakeAnthropicStream(t *testing.T, release <-chan struct{}) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		send := func(event, data string) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
			w.(http.Flusher).Flush()
		}
		send("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1,"cache_creation_input_tokens":20,"cache_read_input_tokens":30}}}`)
		send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`)
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		send("content_block_stop", `{"type":"content_block_stop","index":0}`)
		send("message_delta", `{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":5}}`)
		send("message_stop", `{"type":"message_stop"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A stream's spans end with the stream, and carry the usage of its
// metadata event, cache reads and writes included.
func TestTraceStream(t *testing.T) {
	tr, log := tracing(t)
	release := make(chan struct{})
	backend := fakeAnthropicStream(t, release)
	p, err := anthropic.New(anthropic.Options{BaseURL: backend.URL, APIKey: "sk-test", Name: "claude", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends:      map[string]provider.Provider{"claude": p},
		Routes:        []router.Route{{Pattern: "*", Target: router.Target{Backend: "claude", Model: "claude-sonnet-4-5"}}},
		Tracing:       tr,
		ProviderNames: map[string]string{"claude": "anthropic"},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(traceModel), Messages: []types.Message{userText("Hello")},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	for ev := range stream.Events() {
		if _, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta); ok {
			break
		}
	}
	// The backend has not finished: no span may have ended.
	if n := len(log.done()); n != 0 {
		t.Fatalf("%d spans ended while the stream was still open", n)
	}
	close(release)
	for range stream.Events() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	spans := log.wait(t, 2)
	srv, cli := byKind(t, spans, trace.SpanKindServer), byKind(t, spans, trace.SpanKindClient)
	if len(srv) != 1 || len(cli) != 1 {
		t.Fatalf("%d server and %d client spans, want 1 and 1", len(srv), len(cli))
	}
	usage := map[string]string{
		"gen_ai.usage.input_tokens":                "60", // 10 + 30 read + 20 written
		"gen_ai.usage.output_tokens":               "5",
		"gen_ai.usage.cache_read.input_tokens":     "30",
		"gen_ai.usage.cache_creation.input_tokens": "20",
		"gen_ai.response.finish_reasons":           `["max_tokens"]`,
		"gen_ai.response.model":                    "claude-sonnet-4-5",
		"gen_ai.request.max_tokens":                "5",
		"gen_ai.request.stream":                    "true",
		"gen_ai.operation.name":                    "chat",
	}
	server := map[string]string{"gen_ai.provider.name": "aws.bedrock", "http.route": "/model/{modelId}/converse-stream"}
	clientWant := map[string]string{"gen_ai.provider.name": "anthropic", "gen_ai.response.time_to_first_chunk": "*", "converse.backend": "claude"}
	for k, v := range usage {
		server[k], clientWant[k] = v, v
	}
	checkAttrs(t, "server span", srv[0], server, "error.type")
	checkAttrs(t, "client span", cli[0], clientWant, "error.type")
	if srv[0].Name() != "chat "+traceModel || cli[0].Name() != "chat claude-sonnet-4-5" {
		t.Errorf("span names %q, %q", srv[0].Name(), cli[0].Name())
	}
	if cli[0].EndTime().After(srv[0].EndTime()) {
		t.Error("the client span outlived the server span")
	}
}

// A stream that fails after it started answers 200 with an exception
// frame: the server span still says which.
func TestTraceStreamFailsMidway(t *testing.T) {
	tr, log := tracing(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`+"\n\n")
		fmt.Fprint(w, "data: {not json\n\n")
	}))
	t.Cleanup(backend.Close)
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"vllm": p},
		Routes:   []router.Route{{Pattern: "*", Target: router.Target{Backend: "vllm"}}},
		Tracing:  tr,
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(traceModel), Messages: []types.Message{userText("Hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	for range stream.Events() {
	}
	stream.Close()
	if stream.Err() == nil {
		t.Fatal("the stream did not fail")
	}
	spans := log.wait(t, 2)
	srv, cli := byKind(t, spans, trace.SpanKindServer), byKind(t, spans, trace.SpanKindClient)
	if len(srv) != 1 || len(cli) != 1 {
		t.Fatalf("%d server and %d client spans, want 1 and 1", len(srv), len(cli))
	}
	want := attrs(cli[0])["error.type"]
	if want == "" {
		t.Fatalf("client span has no error.type: %v", attrs(cli[0]))
	}
	checkAttrs(t, "server span", srv[0], map[string]string{"error.type": want, "http.response.status_code": "200"})
}
