package router

import (
	"context"
	"iter"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// static answers from prepared values, allocating nothing of its own, so
// that allocation counts measure the router alone.
type static struct {
	out    *wire.ConverseResponse
	events []*wire.StreamEvent
}

func newStatic() *static {
	text := "hi"
	return &static{
		out: &wire.ConverseResponse{StopReason: wire.StopReasonEndTurn, Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1}},
		events: []*wire.StreamEvent{
			{MessageStart: &wire.MessageStartEvent{Role: "assistant"}},
			{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &text}}},
			{ContentBlockStop: &wire.ContentBlockStopEvent{}},
			{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}},
			{Metadata: &wire.ConverseStreamMetadataEvent{Usage: &wire.TokenUsage{InputTokens: 1, OutputTokens: 1}}},
		},
	}
}

func (s *static) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return s.out, nil
}

func (s *static) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return s.stream
}

func (s *static) stream(yield func(*wire.StreamEvent, error) bool) {
	for _, ev := range s.events {
		if !yield(ev, nil) {
			return
		}
	}
}

func drainStream(seq iter.Seq2[*wire.StreamEvent, error]) {
	for range seq {
	}
}

// The stream entry points, kept out of line as the server's call through
// an interface is, so that inlining into the test cannot put one side's
// iterator on the stack and not the other's.

//go:noinline
func tracedStream(r *Router, ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return r.ConverseStream(ctx, c)
}

//go:noinline
func untracedStream(r *Router, ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return r.converseStream(ctx, c)
}

//go:noinline
func tracedAttempt(r *Router, ctx context.Context, c *provider.Call, t target) iter.Seq2[*wire.StreamEvent, error] {
	return r.streamAttempt(ctx, c, t)
}

// untracedAttempt is the call the router made before it traced.
//
//go:noinline
func untracedAttempt(ctx context.Context, c *provider.Call, t target) iter.Seq2[*wire.StreamEvent, error] {
	return t.provider.ConverseStream(ctx, c)
}

// With tracing off, the traced entry points cost no allocation beyond the
// untraced paths they wrap.
func TestTracingOffAllocatesNothing(t *testing.T) {
	p := newStatic()
	r := newRouter(t, map[string]provider.Provider{"builtin": p}, nil, nil)
	c := call("anthropic.claude-3-haiku-20240307-v1:0")
	ctx := context.Background()
	tgt := target{name: "builtin", provider: p, model: c.ModelID}
	for _, tc := range []struct {
		name           string
		traced, direct func()
	}{
		{"Converse", func() { _, _ = r.Converse(ctx, c) }, func() { _, _ = r.converse(ctx, c) }},
		{"ConverseStream", func() { drainStream(tracedStream(r, ctx, c)) }, func() { drainStream(untracedStream(r, ctx, c)) }},
		{"converse attempt", func() { _, _ = r.converseAttempt(ctx, c, tgt) }, func() { _, _ = tgt.provider.Converse(ctx, c) }},
		{"stream attempt", func() { drainStream(tracedAttempt(r, ctx, c, tgt)) }, func() { drainStream(untracedAttempt(ctx, c, tgt)) }},
	} {
		direct := testing.AllocsPerRun(200, tc.direct)
		traced := testing.AllocsPerRun(200, tc.traced)
		if traced != direct {
			t.Errorf("%s: %v allocations with tracing off, %v without the tracing code", tc.name, traced, direct)
		}
	}
}

// The cost of tracing a stream, off and on (client spans recorded in
// memory), for docs/benchmarks.md.
func BenchmarkConverseStreamTracing(b *testing.B) {
	tok, err := sharedTokens()
	if err != nil {
		b.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		name := "off"
		opts := Options{Backends: map[string]provider.Provider{"builtin": newStatic()}, Default: "builtin", Tokens: tok, Catalog: catalog.New()}
		if on {
			name = "on"
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
			b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			opts.TracerProvider = tp
		}
		r, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		c := call("anthropic.claude-3-haiku-20240307-v1:0")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				drainStream(r.ConverseStream(b.Context(), c))
			}
		})
	}
}
