package router

import (
	"context"
	"iter"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// claimer claims the stream's flusher, then behaves as its fake; it notes
// whether the flusher was already claimed when it was called.
type claimer struct {
	fake
	claimedBefore bool
}

func (c *claimer) ConverseStream(ctx context.Context, call *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	c.claimedBefore = provider.FlusherFrom(ctx).Claimed()
	provider.FlusherFrom(ctx).Claim()
	return c.fake.ConverseStream(ctx, call)
}

// observer does not claim; it notes whether the flusher was claimed when
// it streamed, which would leave its events unflushed.
type observer struct {
	fake
	claimed bool
}

func (o *observer) ConverseStream(ctx context.Context, call *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	o.claimed = provider.FlusherFrom(ctx).Claimed()
	return o.fake.ConverseStream(ctx, call)
}

// A backend that claimed the flusher and failed before its first event
// leaves no claim to the fallback: a fallback that never flushes must get
// a flush per event from the server.
func TestFallbackReleasesFlusher(t *testing.T) {
	a := &claimer{fake: fake{name: "a", err: wire.Errorf(wire.ThrottlingException, "later")}}
	b := &observer{fake: fake{name: "b"}}
	r := newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "a": a, "b": b},
		[]Route{{Pattern: "*", Target: Target{Backend: "a"}, Fallbacks: []Target{{Backend: "b"}}}}, nil)
	ctx, fl := provider.WithFlusher(t.Context(), func() {})
	events := 0
	for _, err := range r.ConverseStream(ctx, &provider.Call{ModelID: "m", Request: &wire.ConverseRequest{}}) {
		if err != nil {
			t.Fatal(err)
		}
		events++
	}
	if events == 0 || len(a.calls) != 1 || len(b.calls) != 1 {
		t.Fatalf("%d events, a called %d times, b %d times; want the fallback to answer", events, len(a.calls), len(b.calls))
	}
	if b.claimed || fl.Claimed() {
		t.Errorf("fallback streamed with the flusher claimed (%v, after: %v): its events would wait for a flush that never comes", b.claimed, fl.Claimed())
	}
}
