package router

import (
	"context"
	"errors"
	"iter"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// fake answers with its name and the upstream model, or fails with err
// (before the first stream event, or after it when midStream is set).
type fake struct {
	name      string
	err       error
	midStream bool
	checkErr  error

	mu    sync.Mutex
	calls []string // upstream models asked for
}

func (f *fake) note(c *provider.Call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c.UpstreamModel)
}

func (f *fake) Converse(_ context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	f.note(c)
	if f.err != nil {
		return nil, f.err
	}
	text := f.name + ":" + c.UpstreamModel
	return &wire.ConverseResponse{Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: &text}}}}, StopReason: wire.StopReasonEndTurn,
		Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}}, nil
}

func (f *fake) ConverseStream(_ context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		f.note(c)
		if f.err != nil && !f.midStream {
			yield(nil, f.err)
			return
		}
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: "assistant"}}, nil) {
			return
		}
		if f.err != nil {
			yield(nil, f.err)
			return
		}
		text := f.name + ":" + c.UpstreamModel
		for _, ev := range []*wire.StreamEvent{
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &text}}},
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}}},
		} {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

func (f *fake) Check(*provider.Call) error { return f.checkErr }

var sharedTokens = sync.OnceValues(tokens.New)

func newRouter(t *testing.T, backends map[string]provider.Provider, routes []Route, aliases map[string]string) *Router {
	t.Helper()
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Backends: backends, Default: "builtin", Routes: routes, Aliases: aliases, Tokens: tok, Catalog: catalog.New()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func call(model string) *provider.Call {
	text := "hello"
	return &provider.Call{ModelID: model, Request: &wire.ConverseRequest{ModelID: model, Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Text: &text}}}}}}
}

func answer(t *testing.T, r *Router, model string) (string, error) {
	t.Helper()
	out, err := r.Converse(t.Context(), call(model))
	if err != nil {
		return "", err
	}
	return *out.Output.Message.Content[0].Text, nil
}

func TestRouting(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	backends := map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "ollama": &fake{name: "ollama"}, "any": &fake{name: "any"}}
	r := newRouter(t, backends, []Route{
		{Pattern: haiku, Target: Target{Backend: "ollama", Model: "llama3.2"}},
		{Pattern: "meta.*", Target: Target{Backend: "ollama"}},
		{Pattern: "local-*", Target: Target{Backend: "any", Model: "qwen"}},
	}, map[string]string{"fast": haiku})

	for _, tc := range []struct{ model, want, err string }{
		{haiku, "ollama:llama3.2", ""},
		{"us." + haiku, "ollama:llama3.2", ""},
		{"global." + haiku, "ollama:llama3.2", ""},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu." + haiku, "ollama:llama3.2", ""},
		{"arn:aws:bedrock:us-east-1::foundation-model/" + haiku, "ollama:llama3.2", ""},
		{"fast", "ollama:llama3.2", ""},
		{"meta.llama3-8b-instruct-v1:0", "ollama:meta.llama3-8b-instruct-v1:0", ""},
		{"local-anything", "any:qwen", ""},
		{"anthropic.claude-3-5-sonnet-20240620-v1:0", "builtin:anthropic.claude-3-5-sonnet-20240620-v1:0", ""},
		{"anthropic.claude-3-haiku-typo", "", "The provided model identifier is invalid."},
		{"arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ", "builtin:arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ", ""},
	} {
		got, err := answer(t, r, tc.model)
		if tc.err != "" {
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException || ex.Message != tc.err {
				t.Errorf("%s: error %v, want ValidationException %q", tc.model, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.model, got, err, tc.want)
		}
	}

	// A catch-all route accepts IDs the catalogue does not know.
	r = newRouter(t, backends, []Route{{Pattern: "*", Target: Target{Backend: "any"}}}, nil)
	if got, err := answer(t, r, "my-own-model"); err != nil || got != "any:my-own-model" {
		t.Errorf("catch-all: %q, %v", got, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tok, _ := sharedTokens()
	_, err := New(Options{Backends: map[string]provider.Provider{"builtin": &fake{}}, Default: "nope", Tokens: tok, Catalog: catalog.New(),
		Routes: []Route{{Pattern: "x", Target: Target{Backend: "missing"}}, {Target: Target{Backend: "builtin"}}}})
	for _, want := range []string{`default backend "nope"`, `unknown backend "missing"`, "route 1 has no pattern"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}

func TestFallbacks(t *testing.T) {
	throttled := wire.Errorf(wire.ThrottlingException, "slow down")
	invalid := wire.Errorf(wire.ValidationException, "bad")
	const model = "meta.llama3-8b-instruct-v1:0"
	for _, tc := range []struct {
		name       string
		primary    *fake
		second     *fake
		want       string
		wantErr    string
		secondUsed bool
	}{
		{"throttled moves on", &fake{name: "a", err: throttled}, &fake{name: "b"}, "b:m2", "", true},
		{"validation does not", &fake{name: "a", err: invalid}, &fake{name: "b"}, "", wire.ValidationException, false},
		{"fallback that cannot serve is skipped", &fake{name: "a", err: throttled}, &fake{name: "b", checkErr: invalid}, "", wire.ThrottlingException, false},
		{"all throttled returns the last error", &fake{name: "a", err: throttled}, &fake{name: "b", err: wire.Errorf(wire.ServiceUnavailableException, "down")}, "", wire.ServiceUnavailableException, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "a": tc.primary, "b": tc.second},
				[]Route{{Pattern: model, Target: Target{Backend: "a", Model: "m1"}, Fallbacks: []Target{{Backend: "b", Model: "m2"}}}}, nil)
			got, err := answer(t, r, model)
			check := func(got string, err error) {
				t.Helper()
				if tc.wantErr != "" {
					var ex *wire.Exception
					if !errors.As(err, &ex) || ex.Type != tc.wantErr {
						t.Errorf("error %v, want %s", err, tc.wantErr)
					}
					return
				}
				if err != nil || got != tc.want {
					t.Errorf("%q, %v; want %q", got, err, tc.want)
				}
			}
			check(got, err)

			// The stream falls back the same way before its first event.
			var text string
			var serr error
			for ev, err := range r.ConverseStream(t.Context(), call(model)) {
				if err != nil {
					serr = err
					break
				}
				if d := ev.ContentBlockDelta; d != nil {
					text = *d.Delta.Text
				}
			}
			check(text, serr)
			if used := len(tc.second.calls) > 0; used != tc.secondUsed {
				t.Errorf("second backend used: %v, want %v", used, tc.secondUsed)
			}
		})
	}
}

// Once a stream has sent an event, a failure reaches the client: it has
// already seen part of an answer, so no fallback may start another.
func TestNoFallbackMidStream(t *testing.T) {
	const model = "meta.llama3-8b-instruct-v1:0"
	a := &fake{name: "a", err: wire.Errorf(wire.ThrottlingException, "later"), midStream: true}
	b := &fake{name: "b"}
	r := newRouter(t, map[string]provider.Provider{"builtin": &fake{}, "a": a, "b": b},
		[]Route{{Pattern: model, Target: Target{Backend: "a"}, Fallbacks: []Target{{Backend: "b"}}}}, nil)
	var kinds []string
	for ev, err := range r.ConverseStream(t.Context(), call(model)) {
		if err != nil {
			kinds = append(kinds, "error")
			continue
		}
		kinds = append(kinds, ev.EventType())
	}
	if diff := cmp.Diff([]string{"messageStart", "error"}, kinds); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(b.calls) != 0 {
		t.Error("fallback started after the stream had begun")
	}
}

// TestRouteGlobDialect: routes use internal/glob, where ? is one
// character (routes used to take it literally, unlike principals).
func TestRouteGlobDialect(t *testing.T) {
	backends := map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "local": &fake{name: "local"}}
	r := newRouter(t, backends, []Route{{Pattern: "anthropic.claude-?-haiku-*", Target: Target{Backend: "local"}}}, nil)
	for model, want := range map[string]string{
		"anthropic.claude-3-haiku-20240307-v1:0":    "local:anthropic.claude-3-haiku-20240307-v1:0",
		"us.anthropic.claude-3-haiku-20240307-v1:0": "local:us.anthropic.claude-3-haiku-20240307-v1:0",
		"anthropic.claude-3-sonnet-20240229-v1:0":   "builtin:anthropic.claude-3-sonnet-20240229-v1:0",
	} {
		if got, err := answer(t, r, model); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", model, got, err, want)
		}
	}
}

// TestAccessAcrossForms: every form a client can name a model by ×
// principal patterns, decided as the server decides (auth on the router's
// ModelForms). An alias resolves to its target's forms; its own name is
// never one of them.
func TestAccessAcrossForms(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	r := newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}}, nil, map[string]string{
		"fast": haiku, "fast-us": "us." + haiku, "nova": "amazon.nova-lite-v1:0",
	})
	ids := []string{
		haiku,
		"us." + haiku,
		"global." + haiku,
		"arn:aws:bedrock:us-east-1::foundation-model/" + haiku,
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + haiku,
		"fast",
		"fast-us",
		"nova",
		"vendor.made-up-v1:0",
		"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
	}
	// One column per ID above: T allowed, . refused.
	for _, tc := range []struct{ pattern, want string }{
		{"anthropic.*", "TTTTTTT..."},
		{"us.anthropic.*", ".T..T.T..."},
		{haiku, "TTTTTTT..."},
		{"anthropic.claude-?-haiku-*", "TTTTTTT..."},
		{"arn:aws:bedrock:*:*:inference-profile/*", "....T....."},
		{"arn:aws:bedrock:*:*:foundation-model/anthropic.*", "...T......"},
		{"fast", ".........."},
		{"nova", ".........."},
		{"amazon.*", ".......T.."},
		{"vendor.*", "........T."}, // allowed here; the router then refuses the ID
		{"*", "TTTTTTTTTT"},
	} {
		p := &auth.Principal{Name: "p", Models: []string{tc.pattern}}
		var got strings.Builder
		for _, id := range ids {
			if p.Authorize(id, r.ModelForms(id)) == nil {
				got.WriteByte('T')
			} else {
				got.WriteByte('.')
			}
		}
		if got.String() != tc.want {
			t.Errorf("pattern %q: got %s, want %s", tc.pattern, got.String(), tc.want)
			for i, id := range ids {
				if got.String()[i] != tc.want[i] {
					t.Logf("  %s: forms %q", id, r.ModelForms(id))
				}
			}
		}
	}
}

// scrape returns the registry's exposition.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestMetrics(t *testing.T) {
	tok, _ := sharedTokens()
	m := metrics.New(metrics.Options{})
	const model = "meta.llama3-8b-instruct-v1:0"
	r, err := New(Options{
		Backends: map[string]provider.Provider{
			"builtin": &fake{name: "builtin"}, "a": &fake{name: "a", err: wire.Errorf(wire.ThrottlingException, "x")}, "b": &fake{name: "b"},
			"odd": &fake{name: "odd", err: wire.Errorf("WeirdUpstreamException", "x")},
		},
		Default: "builtin", Tokens: tok, Catalog: catalog.New(), Metrics: m,
		ProviderNames: map[string]string{"builtin": "converse", "a": "openai", "b": "anthropic"},
		Routes: []Route{
			{Pattern: model, Target: Target{Backend: "a"}, Fallbacks: []Target{{Backend: "b"}}},
			{Pattern: "custom.*", Target: Target{Backend: "builtin"}},
			{Pattern: "odd.*", Target: Target{Backend: "odd"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{model, "us." + model, "custom.mine", "custom.yours"} {
		if _, err := answer(t, r, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"no-such-model", "other-made-up-id", "odd.one"} {
		if _, err := answer(t, r, id); err == nil {
			t.Fatalf("%s accepted", id)
		}
	}
	for range r.ConverseStream(t.Context(), call(model)) {
	}
	body := scrape(t, m)
	const chat = `gen_ai_operation_name="chat"`
	for _, want := range []string{
		// The profile form is labelled with its catalogue ID.
		`gen_ai_server_request_duration_seconds_count{converse_backend="b",converse_operation="Converse",error_type="",` + chat + `,gen_ai_provider_name="anthropic",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 2`,
		`gen_ai_server_request_duration_seconds_count{converse_backend="b",converse_operation="ConverseStream",error_type="",` + chat + `,gen_ai_provider_name="anthropic",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 1`,
		// IDs outside the catalogue: the route pattern, or unknown.
		`gen_ai_server_request_duration_seconds_count{converse_backend="builtin",converse_operation="Converse",error_type="",` + chat + `,gen_ai_provider_name="converse",gen_ai_request_model="custom.*"} 2`,
		`gen_ai_server_request_duration_seconds_count{converse_backend="none",converse_operation="Converse",error_type="ValidationException",` + chat + `,gen_ai_provider_name="none",gen_ai_request_model="unknown"} 2`,
		// An exception type Bedrock does not have is not a label value.
		`gen_ai_server_request_duration_seconds_count{converse_backend="odd",converse_operation="Converse",error_type="_OTHER",` + chat + `,gen_ai_provider_name="unknown",gen_ai_request_model="odd.*"} 1`,
		`converse_fallbacks_total{converse_backend="a",error_type="ThrottlingException",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 3`,
		`gen_ai_server_time_to_first_token_seconds_count{converse_backend="b",converse_operation="ConverseStream",` + chat + `,gen_ai_provider_name="anthropic",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 1`,
		`gen_ai_client_token_usage_count{converse_backend="b",converse_operation="ConverseStream",` + chat + `,gen_ai_provider_name="anthropic",gen_ai_request_model="meta.llama3-8b-instruct-v1:0",gen_ai_token_type="input"} 1`,
		`converse_tokens_total{converse_backend="b",gen_ai_provider_name="anthropic",gen_ai_request_model="meta.llama3-8b-instruct-v1:0",gen_ai_token_type="output"} 3`, // 1 streamed + 2 answers
		`converse_overhead_seconds_count{converse_backend="none",converse_operation="Converse",gen_ai_provider_name="none"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leaked := range []string{"no-such-model", "other-made-up-id", "custom.mine", "odd.one", "us.meta", "WeirdUpstream"} {
		if strings.Contains(body, leaked) {
			t.Errorf("a client-chosen value became a label: %s", leaked)
		}
	}
}

// slow is a backend whose work takes fake time (under synctest): a pause
// before answering, and one between stream events.
type slow struct{ pause time.Duration }

func (s slow) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	time.Sleep(s.pause)
	text := "ok"
	return &wire.ConverseResponse{Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: &text}}}},
		StopReason: wire.StopReasonEndTurn, Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}}, nil
}

func (s slow) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		text := "tok"
		for _, ev := range []*wire.StreamEvent{
			{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &text}}},
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &text}}},
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 5, TotalTokens: 6}}},
		} {
			time.Sleep(s.pause)
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// TestOverhead: converse_overhead_seconds is the server's time minus the
// backends' time. Under synctest the clock moves only while goroutines
// sleep, so the backends' pauses and the server's own (time before the
// router, a slow consumer of the stream) are exact.
func TestOverhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tok, _ := sharedTokens()
		m := metrics.New(metrics.Options{})
		const model = "meta.llama3-8b-instruct-v1:0"
		r, err := New(Options{
			Backends: map[string]provider.Provider{"builtin": &fake{}, "throttled": &fake{err: wire.Errorf(wire.ThrottlingException, "x")}, "slow": slow{pause: time.Second}},
			Default:  "builtin", Tokens: tok, Catalog: catalog.New(), Metrics: m,
			Routes: []Route{{Pattern: model, Target: Target{Backend: "throttled"}, Fallbacks: []Target{{Backend: "slow"}}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		// The server had the request 3 s before the router: that is ours.
		c := call(model)
		c.Received = time.Now().Add(-3 * time.Second)
		if _, err := r.Converse(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		// A stream: 6 events 1 s apart from the backend, and a consumer
		// that takes 2 s over each event (writing to a slow client).
		for _, err := range r.ConverseStream(t.Context(), call(model)) {
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
		}
		body := scrape(t, m)
		for _, want := range []string{
			`converse_overhead_seconds_sum{converse_backend="slow",converse_operation="Converse",gen_ai_provider_name="unknown"} 3`,
			`converse_overhead_seconds_sum{converse_backend="slow",converse_operation="ConverseStream",gen_ai_provider_name="unknown"} 12`,
			`gen_ai_server_request_duration_seconds_sum{converse_backend="slow",converse_operation="Converse",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="unknown",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 4`,
			`gen_ai_server_request_duration_seconds_sum{converse_backend="slow",converse_operation="ConverseStream",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="unknown",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 18`,
			// First delta: after messageStart (1 s, then 2 s ours) and 1 s more.
			`gen_ai_server_time_to_first_token_seconds_sum{converse_backend="slow",converse_operation="ConverseStream",gen_ai_operation_name="chat",gen_ai_provider_name="unknown",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 4`,
			// (18 s - 4 s) / (5 output tokens - 1).
			`gen_ai_server_time_per_output_token_seconds_sum{converse_backend="slow",converse_operation="ConverseStream",gen_ai_operation_name="chat",gen_ai_provider_name="unknown",gen_ai_request_model="meta.llama3-8b-instruct-v1:0"} 3.5`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}
