package promptcache

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// prompt100KB is a Converse request of about 100 KB: a tool with a schema,
// a 4 KB system prompt, 24 messages of prose, a tool use and its JSON
// result, and four cache points (tools, system, two in messages).
func prompt100KB(b *testing.B) (*wire.ConverseRequest, int) {
	words := strings.Fields("the prompt cache keeps a prefix of tools system and messages for five minutes after its last hit so a long document costs little")
	var sb strings.Builder
	for i := 0; sb.Len() < 100_000; i++ {
		sb.WriteString(words[(i*7)%len(words)])
		if i%13 == 12 {
			sb.WriteString(".\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	prose := sb.String()
	cp := &wire.CachePointBlock{Type: wire.CachePointTypeDefault}
	r := &wire.ConverseRequest{
		ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{
			{ToolSpec: &wire.ToolSpecification{Name: "get_weather", Description: wire.Ptr("Weather for a city"),
				InputSchema: &wire.ToolInputSchema{JSON: wire.Document(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}`)}}},
			{CachePoint: cp},
		}},
		System: []wire.SystemContentBlock{{Text: wire.Ptr(prose[:4000])}, {CachePoint: cp}},
	}
	rest := prose[4000:]
	for i := 0; len(rest) > 0; i++ {
		n := min(len(rest), 4000)
		role := wire.ConversationRoleUser
		if i%2 == 1 {
			role = wire.ConversationRoleAssistant
		}
		r.Messages = append(r.Messages, wire.Message{Role: role, Content: []wire.ContentBlock{{Text: wire.Ptr(rest[:n])}}})
		rest = rest[n:]
	}
	r.Messages[1].Content = append(r.Messages[1].Content, wire.ContentBlock{ToolUse: &wire.ToolUseBlock{ToolUseID: "t1", Name: "get_weather", Input: wire.Document(`{"days":3,"city":"Paris"}`)}})
	r.Messages[2].Content = append([]wire.ContentBlock{{ToolResult: &wire.ToolResultBlock{ToolUseID: "t1", Content: []wire.ToolResultContentBlock{{JSON: wire.Document(`{"forecast":[{"day":1,"sky":"clear"},{"day":2,"sky":"rain"}]}`)}}}}}, r.Messages[2].Content...)
	r.Messages[11].Content = append(r.Messages[11].Content, wire.ContentBlock{CachePoint: cp})
	last := len(r.Messages) - 2
	r.Messages[last].Content = append(r.Messages[last].Content, wire.ContentBlock{CachePoint: cp})
	return r, len(prose)
}

func BenchmarkFingerprint100KB(b *testing.B) {
	r, size := prompt100KB(b)
	if n := len(Fingerprints(model, r)); n != 4 {
		b.Fatalf("%d fingerprints, want 4", n)
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		Fingerprints(model, r)
	}
}

// BenchmarkFingerprint100KBLookback hashes the same prompt with Claude's
// 20-block look-back: the cache point keys plus the block boundaries
// within 20 blocks before each, in one pass.
func BenchmarkFingerprint100KBLookback(b *testing.B) {
	r, size := prompt100KB(b)
	pts, _ := lookbackPoints(model, r, 20)
	if len(pts) <= 4 {
		b.Fatalf("%d keys, want the 4 cache points and boundaries", len(pts))
	}
	b.SetBytes(int64(size))
	for b.Loop() {
		lookbackPoints(model, r, 20)
	}
	b.ReportMetric(float64(len(pts)), "keys/op")
}

func BenchmarkRouteKey100KB(b *testing.B) {
	r, size := prompt100KB(b)
	b.SetBytes(int64(size))
	for b.Loop() {
		RouteKey(model, r)
	}
}

// benchAccount accounts the 100 KB prompt in its steady state (the longest
// prefix is a hit), fingerprints included, token counting not (the router
// counts once for CountTokens, quotas and caching); lookback is
// LookbackBlocks.
func benchAccount(b *testing.B, reg Registry, lookback int) {
	r, _ := prompt100KB(b)
	c, err := tokens.New()
	if err != nil {
		b.Fatal(err)
	}
	in := Request{ModelID: model, Converse: r, Count: c.ConverseBlocks(tokens.FromRequest(r)), MinTokens: 1024, LookbackBlocks: lookback}
	if _, err := Account(b.Context(), reg, in); err != nil {
		b.Fatal(err)
	}
	u, err := Account(b.Context(), reg, in)
	if err != nil || u.CacheReadInputTokens == 0 {
		b.Fatalf("second call: %+v, %v; want a read", u, err)
	}
	for b.Loop() {
		if _, err := Account(b.Context(), reg, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAccountMemory(b *testing.B) {
	benchAccount(b, NewMemory(MemoryOptions{}), 0)
}

func BenchmarkAccountMemoryLookback(b *testing.B) {
	benchAccount(b, NewMemory(MemoryOptions{}), 20)
}

func BenchmarkAccountRedis(b *testing.B) {
	c := redis.NewClient(&redis.Options{Addr: redistest.Start(b)})
	b.Cleanup(func() { c.Close() })
	benchAccount(b, NewRedis(c, "bench:"), 0)
}

func BenchmarkBalancerAcquire(b *testing.B) {
	bal := NewBalancer(pool, BalancerOptions{})
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = fmt.Sprint("prefix-", i)
	}
	i := 0
	for b.Loop() {
		_, release := bal.Acquire(keys[i%len(keys)])
		release()
		i++
	}
}
