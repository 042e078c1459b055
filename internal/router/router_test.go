package router

import (
	"context"
	"errors"
	"iter"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

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
	return &wire.ConverseResponse{Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: []wire.ContentBlock{{Text: &text}}}}, StopReason: wire.StopReasonEndTurn}, nil
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

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "anything:at/all", true},
		{"anthropic.*", "anthropic.claude-3", true},
		{"anthropic.*", "us.anthropic.claude-3", false},
		{"*claude*", "us.anthropic.claude-3:0", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"exact", "exact", true},
		{"exact", "exact2", false},
	} {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestMetrics(t *testing.T) {
	tok, _ := sharedTokens()
	m := metrics.New()
	const model = "meta.llama3-8b-instruct-v1:0"
	r, err := New(Options{
		Backends: map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "a": &fake{name: "a", err: wire.Errorf(wire.ThrottlingException, "x")}, "b": &fake{name: "b"}},
		Default:  "builtin", Tokens: tok, Catalog: catalog.New(), Metrics: m,
		Routes: []Route{{Pattern: model, Target: Target{Backend: "a"}, Fallbacks: []Target{{Backend: "b"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := answer(t, r, model); err != nil {
		t.Fatal(err)
	}
	if _, err := answer(t, r, "no-such-model"); err == nil {
		t.Fatal("unknown model accepted")
	}
	for range r.ConverseStream(t.Context(), call(model)) {
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`converse_requests_total{backend="b",model="meta.llama3-8b-instruct-v1:0",operation="Converse",outcome="ok"} 1`,
		`converse_requests_total{backend="b",model="meta.llama3-8b-instruct-v1:0",operation="ConverseStream",outcome="ok"} 1`,
		`converse_requests_total{backend="",model="no-such-model",operation="Converse",outcome="ValidationException"} 1`,
		`converse_fallbacks_total{backend="a",model="meta.llama3-8b-instruct-v1:0"} 2`,
		`gen_ai_server_time_to_first_token_seconds_count{backend="b",model="meta.llama3-8b-instruct-v1:0"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
