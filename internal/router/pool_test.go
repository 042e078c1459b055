package router

import (
	"fmt"
	"testing"

	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Requests sharing a cached prefix land on one replica of a pool, so that
// replica's own prefix cache (vLLM, llama.cpp) hits.
func TestPoolKeepsPrefixesOnOneReplica(t *testing.T) {
	names := []string{"r1", "r2", "r3"}
	replicas := map[string]provider.Provider{}
	for _, n := range names {
		replicas[n] = &fake{name: n}
	}
	pool, err := NewPool(replicas, promptcache.NewBalancer(names, promptcache.BalancerOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	const prefixes, perPrefix = 12, 20
	// Sequential calls: with nothing in flight no replica is over its
	// bound, so placement is pure consistent hashing (the balancer's own
	// tests cover spill-over under load).
	where := map[int]map[string]bool{} // prefix → replicas that served it
	for p := range prefixes {
		for i := range perPrefix {
			func() {
				system := fmt.Sprintf("system prompt number %d", p)
				user := fmt.Sprintf("question %d", i)
				c := &provider.Call{UpstreamModel: "m", Request: &wire.ConverseRequest{
					System:   []wire.SystemContentBlock{{Text: &system}, {CachePoint: &wire.CachePointBlock{Type: "default"}}},
					Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Text: &user}}}},
				}}
				out, err := pool.Converse(t.Context(), c)
				if err != nil {
					t.Error(err)
					return
				}
				replica := (*out.Output.Message.Content[0].Text)[:2]
				if where[p] == nil {
					where[p] = map[string]bool{}
				}
				where[p][replica] = true
			}()
		}
	}
	used := map[string]bool{}
	for p, rs := range where {
		if len(rs) != 1 {
			t.Errorf("prefix %d served by %v, want one replica", p, rs)
		}
		for r := range rs {
			used[r] = true
		}
	}
	if len(used) < 2 {
		t.Errorf("all %d prefixes on %v: the pool does not spread load", prefixes, used)
	}
}
