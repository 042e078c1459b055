package router

import (
	"context"
	"errors"
	"iter"

	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Balancer picks a replica for a key and counts it busy until release
// (promptcache.Balancer: consistent hashing with bounded load).
type Balancer interface {
	Acquire(key string) (replica string, release func())
}

// Pool is one backend served by several replicas of a model server. Calls
// whose prompts share their first cached prefix go to the same replica, so
// that replica's prefix cache (vLLM, llama.cpp) hits.
type Pool struct {
	replicas map[string]provider.Provider
	balancer Balancer
}

var _ provider.Provider = (*Pool)(nil)

// NewPool returns a pool over replicas, keyed by name as the balancer
// knows them.
func NewPool(replicas map[string]provider.Provider, b Balancer) (*Pool, error) {
	if len(replicas) == 0 || b == nil {
		return nil, errors.New("router: a pool needs replicas and a balancer")
	}
	return &Pool{replicas: replicas, balancer: b}, nil
}

func (p *Pool) pick(c *provider.Call) (provider.Provider, func()) {
	name, release := p.balancer.Acquire(promptcache.RouteKey(c.UpstreamModel, c.Request))
	return p.replicas[name], release
}

// Converse calls the replica the balancer picks.
func (p *Pool) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	r, release := p.pick(c)
	defer release()
	return r.Converse(ctx, c)
}

// ConverseStream streams from the replica the balancer picks; the replica
// counts as busy until the stream ends.
func (p *Pool) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		r, release := p.pick(c)
		defer release()
		for ev, err := range r.ConverseStream(ctx, c) {
			if !yield(ev, err) {
				return
			}
		}
	}
}

// Check asks any replica: they run the same server.
func (p *Pool) Check(c *provider.Call) error {
	for _, r := range p.replicas {
		if ch, ok := r.(Checker); ok {
			return ch.Check(c)
		}
		break
	}
	return nil
}
