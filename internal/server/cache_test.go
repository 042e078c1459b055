package server_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// sonnet37 caches from 1,024 tokens per checkpoint (digest §11.2).
const sonnet37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"

// long is text of roughly n tokens.
func long(topic string, n int) string {
	return strings.Repeat(topic+" facts and figures for the cache. ", n/8+1)
}

// cacheRequest builds a request with cache points after the tools, the
// system prompt and the first user message, as Spring AI's strategies place
// them.
type cacheRequest struct {
	tools, system, user string
	toolCache, sysCache bool
	userCache           bool
}

func (c cacheRequest) input(model string) *bedrockruntime.ConverseInput {
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(model)}
	if c.tools != "" {
		tools := []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{
			Name: aws.String("lookup"), Description: aws.String(c.tools),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{"type": "object"})},
		}}}
		if c.toolCache {
			tools = append(tools, &types.ToolMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
		}
		in.ToolConfig = &types.ToolConfiguration{Tools: tools}
	}
	if c.system != "" {
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: c.system}}
		if c.sysCache {
			in.System = append(in.System, &types.SystemContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
		}
	}
	content := []types.ContentBlock{&types.ContentBlockMemberText{Value: c.user}}
	if c.userCache {
		content = append(content, &types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
	}
	in.Messages = []types.Message{{Role: types.ConversationRoleUser, Content: content}}
	return in
}

type cacheUse struct{ read, write, input int32 }

func usageOfCall(t *testing.T, client *bedrockruntime.Client, in *bedrockruntime.ConverseInput) cacheUse {
	t.Helper()
	out, err := client.Converse(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	u := out.Usage
	if u.CacheReadInputTokens == nil || u.CacheWriteInputTokens == nil {
		t.Fatalf("usage without cache fields: %+v", *u)
	}
	if *u.TotalTokens != *u.InputTokens+*u.CacheReadInputTokens+*u.CacheWriteInputTokens+*u.OutputTokens {
		t.Errorf("totalTokens %d does not add up: %+v", *u.TotalTokens, *u)
	}
	return cacheUse{*u.CacheReadInputTokens, *u.CacheWriteInputTokens, *u.InputTokens}
}

// The seed's SYSTEM_ONLY scenario: the first call writes, the repeat reads.
func TestPromptCacheSystemOnly(t *testing.T) {
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{}), sdktest.Options{})
	req := cacheRequest{system: long("policy", 1500), sysCache: true, user: "What is our refund policy?"}
	first := usageOfCall(t, client, req.input(sonnet37))
	if first.write < 1024 || first.read != 0 {
		t.Errorf("first call %+v, want a write of ≥ 1024 tokens and no read", first)
	}
	second := usageOfCall(t, client, req.input(sonnet37))
	if second.read != first.write || second.write != 0 || second.input != first.input {
		t.Errorf("second call %+v, want to read the %d written tokens", second, first.write)
	}
	// The stream reports exactly what Converse reports.
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(sonnet37), System: req.input(sonnet37).System, Messages: req.input(sonnet37).Messages,
	})
	if err != nil {
		t.Fatal(err)
	}
	var meta *types.TokenUsage
	for ev := range out.GetStream().Events() {
		if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
			meta = m.Value.Usage
		}
	}
	if err := out.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	if got := (cacheUse{*meta.CacheReadInputTokens, *meta.CacheWriteInputTokens, *meta.InputTokens}); got != second {
		t.Errorf("stream usage %+v, Converse usage %+v", got, second)
	}
}

// The cascade tools → system → messages: a change invalidates its level and
// every level after it.
func TestPromptCacheCascade(t *testing.T) {
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{}), sdktest.Options{})
	base := cacheRequest{
		tools: long("tooling", 1200), toolCache: true,
		system: long("system", 1200), sysCache: true,
		user: long("question", 1200), userCache: true,
	}
	warm := usageOfCall(t, client, base.input(sonnet37))
	if warm.read != 0 || warm.write == 0 {
		t.Fatalf("cold call %+v", warm)
	}
	level := func(u cacheUse) string {
		switch {
		case u.read == 0:
			return "all miss"
		case u.write == 0:
			return "all hit"
		}
		return "partial"
	}
	for _, tc := range []struct {
		name   string
		change func(*cacheRequest)
		want   string
	}{
		{"same again", func(*cacheRequest) {}, "all hit"},
		{"messages changed", func(c *cacheRequest) { c.user = long("another question", 1200) }, "partial"},
		{"system changed", func(c *cacheRequest) { c.system = long("new system", 1200) }, "partial"},
		{"tools changed", func(c *cacheRequest) { c.tools = long("new tooling", 1200) }, "all miss"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.change(&c)
			u := usageOfCall(t, client, c.input(sonnet37))
			if got := level(u); got != tc.want {
				t.Errorf("%+v: %s, want %s", u, got, tc.want)
			}
		})
	}
	// With system changed, only the tools prefix is read; with messages
	// changed, tools and system are.
	sys := base
	sys.system = long("yet another system", 1200)
	msgs := base
	msgs.user = long("yet another question", 1200)
	us, um := usageOfCall(t, client, sys.input(sonnet37)), usageOfCall(t, client, msgs.input(sonnet37))
	if !(us.read > 0 && um.read > us.read) {
		t.Errorf("system change read %d, messages change read %d: want 0 < system < messages", us.read, um.read)
	}
}

// A checkpoint below the model's minimum is not cached and is no error;
// Nova rejects a cache point in tools; five cache points are one too many.
func TestPromptCacheRules(t *testing.T) {
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{}), sdktest.Options{})
	small := cacheRequest{system: "Short system prompt.", sysCache: true, user: "hi"}
	for range 2 {
		if u := usageOfCall(t, client, small.input(sonnet37)); u.read != 0 || u.write != 0 {
			t.Errorf("below-minimum checkpoint cached: %+v", u)
		}
	}
	nova := cacheRequest{tools: "lookup things", toolCache: true, user: "hi"}
	_, err := client.Converse(t.Context(), nova.input("amazon.nova-lite-v1:0"))
	if !isType[*types.ValidationException](err) || !strings.Contains(err.Error(), "cachePoint") {
		t.Errorf("Nova tool cache point: %v, want ValidationException", err)
	}
	five := &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37)}
	var content []types.ContentBlock
	for i := range 5 {
		content = append(content, &types.ContentBlockMemberText{Value: long("part", 10) + string(rune('a'+i))},
			&types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}})
	}
	five.Messages = []types.Message{{Role: types.ConversationRoleUser, Content: content}}
	if _, err := client.Converse(t.Context(), five); !isType[*types.ValidationException](err) {
		t.Errorf("five cache points: %v, want ValidationException", err)
	}
	five.Messages[0].Content = content[:8]
	if _, err := client.Converse(t.Context(), five); err != nil {
		t.Errorf("four cache points: %v", err)
	}
}

// The TTL is five minutes, refreshed by every hit.
func TestPromptCacheTTL(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	reg := promptcache.NewMemory(promptcache.MemoryOptions{Now: clock})
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{Cache: reg}), sdktest.Options{})
	req := cacheRequest{system: long("ttl", 1500), sysCache: true, user: "hi"}
	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, "write"},
		{4 * time.Minute, "read"}, // refreshes the TTL
		{4 * time.Minute, "read"}, // 8 min after the write, 4 after the refresh
		{5*time.Minute + time.Second, "write"},
	}
	for i, s := range steps {
		advance(s.after)
		u := usageOfCall(t, client, req.input(sonnet37))
		got := "write"
		if u.read > 0 {
			got = "read"
		}
		if got != s.want {
			t.Errorf("step %d (+%v): %+v, want a %s", i, s.after, u, s.want)
		}
	}
}

// Two converse replicas sharing one Redis see each other's cache entries.
func TestPromptCacheSharedAcrossReplicas(t *testing.T) {
	addr := redistest.Start(t)
	newReplica := func() *bedrockruntime.Client {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { rdb.Close() })
		endpoint := servertest.Start(t, servertest.Options{Cache: promptcache.NewRedis(rdb, "converse:test:")})
		return sdktest.Client(t, endpoint, sdktest.Options{})
	}
	a, b := newReplica(), newReplica()
	req := cacheRequest{system: long("shared", 1500), sysCache: true, user: "hi"}
	first := usageOfCall(t, a, req.input(sonnet37))
	second := usageOfCall(t, b, req.input(sonnet37))
	if first.read != 0 || first.write == 0 {
		t.Errorf("replica A: %+v, want a write", first)
	}
	if second.read != first.write || second.write != 0 {
		t.Errorf("replica B %+v, want to read what A wrote (%d)", second, first.write)
	}
}

// Claude looks back about 20 blocks for a cached prefix, so a conversation
// whose one cache point moves to the end of each new user turn (Spring AI's
// CONVERSATION_HISTORY) reads what the previous turn wrote.
func TestPromptCacheMovingCachePoint(t *testing.T) {
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{}), sdktest.Options{})
	cp := &types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}}
	turn1 := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: long("history", 1500)}, cp}}}
	first := usageOfCall(t, client, &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: turn1})
	turn2 := []types.Message{
		{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: long("history", 1500)}}},
		{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Noted."}}},
		{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "And next?"}, cp}},
	}
	second := usageOfCall(t, client, &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet37), Messages: turn2})
	if first.write == 0 || second.read != first.write || second.write == 0 {
		t.Errorf("turn 1 %+v, turn 2 %+v: want turn 2 to read turn 1's prefix and write the rest", first, second)
	}
}
