package router

import (
	"context"
	"sync"

	"github.com/conversekit/converse/internal/invocationlog"
)

// Answered says which backend a call went to, for the server's request
// log: the last one tried, so after fallbacks the one that answered (or
// failed last). WithAnswered puts one in a context; the router fills it.
type Answered struct {
	mu      sync.Mutex
	backend string
}

type answeredKey struct{}

// WithAnswered returns ctx carrying a new Answered for the router to fill.
func WithAnswered(ctx context.Context) (context.Context, *Answered) {
	a := &Answered{}
	return context.WithValue(ctx, answeredKey{}, a), a
}

// Backend is the backend's configured name; "" when the call reached none
// (refused before routing, or nil).
func (a *Answered) Backend() string {
	if a == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.backend
}

// routed notes an attempt on t for the call in ctx: in its Answered and
// its invocation record.
func routed(ctx context.Context, t target) {
	if a, ok := ctx.Value(answeredKey{}).(*Answered); ok {
		a.mu.Lock()
		a.backend = t.name
		a.mu.Unlock()
	}
	invocationlog.Routed(ctx, t.name, t.model)
}
