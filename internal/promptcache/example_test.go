package promptcache_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// The router's sequence for one call on a backend whose cache our registry
// stands for: fingerprint and route before the call, account after it, and
// put the same usage into the Converse response or the stream's metadata
// event.
func Example() {
	ctx := context.Background()
	counter, _ := tokens.New()
	reg := promptcache.NewMemory(promptcache.MemoryOptions{})
	pool := promptcache.NewBalancer([]string{"vllm-0", "vllm-1", "vllm-2"}, promptcache.BalancerOptions{Bound: 1.25})

	system := strings.Repeat("Answer as a support agent for ACME. ", 200)
	for _, question := range []string{"Where is my order?", "Can I return it?"} {
		req := &wire.ConverseRequest{
			ModelID:  "anthropic.claude-3-7-sonnet-20250219-v1:0",
			System:   []wire.SystemContentBlock{{Text: &system}, {CachePoint: &wire.CachePointBlock{Type: wire.CachePointTypeDefault}}},
			Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: &question}}}},
		}
		in := promptcache.Request{
			ModelID:      req.ModelID, // the catalogue's base ID
			Converse:     req,
			Count:        counter.Converse(tokens.FromRequest(req)),
			MinTokens:    1024,  // catalog.Model.MinCacheTokens
			TTL1h:        false, // catalog.Model.CacheTTL1h
			Fingerprints: promptcache.Fingerprints(req.ModelID, req),
		}
		replica, release := pool.Acquire(promptcache.RouteKey(req.ModelID, req))
		_ = replica // … call the provider on this replica; outputTokens from it …
		release()
		u, err := promptcache.Account(ctx, reg, in)
		if err != nil {
			fmt.Println(err)
			return
		}
		usage := u.TokenUsage(12)
		fmt.Printf("read %d write %d input %d total %d\n",
			*usage.CacheReadInputTokens, *usage.CacheWriteInputTokens, usage.InputTokens, usage.TotalTokens)
	}
	// Output:
	// read 0 write 1805 input 9 total 1826
	// read 1805 write 0 input 9 total 1826
}
