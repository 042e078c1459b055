package chat_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

const (
	sonnet   = "anthropic.claude-3-7-sonnet-20250219-v1:0"
	sonnet45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
)

// cacheShape summarises where a request carried cache points: "S" after
// system block i, "T" after tool i, "M" in message i at block j.
func cacheShape(req *wire.ConverseRequest) string {
	var parts []string
	for i, s := range req.System {
		if s.CachePoint != nil {
			parts = append(parts, "S"+itoa(i)+ttl(s.CachePoint))
		}
	}
	if req.ToolConfig != nil {
		for i, tl := range req.ToolConfig.Tools {
			if tl.CachePoint != nil {
				parts = append(parts, "T"+itoa(i)+ttl(tl.CachePoint))
			}
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			if b.CachePoint != nil {
				parts = append(parts, "M"+itoa(i)+"."+itoa(j)+ttl(b.CachePoint))
			}
		}
	}
	return strings.Join(parts, " ")
}

func itoa(i int) string { return string(rune('0' + i)) }

func ttl(cp *wire.CachePointBlock) string {
	if cp.TTL != "" {
		return "/" + string(cp.TTL)
	}
	return ""
}

func TestCacheStrategies(t *testing.T) {
	cached := 0
	s := &script{ownCache: true, answer: func(_ context.Context, n int, req *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		resp := textAnswer("ok")
		if cacheShape(req) != "" {
			// A first request writes the cache, the next ones read it.
			cached++
			if cached == 1 {
				resp.Usage.CacheWriteInputTokens = wire.Ptr(1200)
			} else {
				resp.Usage.CacheReadInputTokens = wire.Ptr(1200)
			}
		}
		return resp, nil
	}}
	end := start(t, s)
	weather := chat.NewTool("weather", "Weather", func(context.Context, weatherIn) (string, error) { return "", nil })
	clock := chat.NewTool("clock", "Time", func(context.Context, struct{}) (string, error) { return "", nil })
	cases := []struct {
		strategy chat.CacheStrategy
		ttl      time.Duration
		model    string
		want     string
	}{
		{chat.CacheNone, 0, sonnet, ""},
		{chat.CacheSystemOnly, 0, sonnet, "S2"},
		{chat.CacheToolsOnly, 0, sonnet, "T2"},
		{chat.CacheSystemAndTools, 0, sonnet, "S2 T2"},
		{chat.CacheSystemAndTools, time.Hour, sonnet45, "S2/1h T2/1h"},
		{chat.CacheConversationHistory, 0, sonnet, "M2.1"},
		{chat.CacheSystemOnly, 0, nova, "S2"},
		{chat.CacheConversationHistory, 0, nova, "M2.1"},
	}
	for _, tc := range cases {
		t.Run(tc.strategy.String()+"/"+tc.model, func(t *testing.T) {
			c := newClient(t, end, chat.WithTools(weather, clock))
			p := c.Prompt().System("You are an expert.").System("Be precise.").
				User("first question").Assistant("first answer").User("second question").
				Options(chat.Options{Model: tc.model, Cache: &chat.CacheOptions{Strategy: tc.strategy, TTL: tc.ttl}})
			before := len(s.requests())
			resp, err := p.Call(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			reqs := s.requests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests reached the server", len(reqs)-before)
			}
			if got := cacheShape(reqs[len(reqs)-1]); got != tc.want {
				t.Errorf("cache points %q, want %q", got, tc.want)
			}
			hit := resp.Usage.CacheReadInputTokens + resp.Usage.CacheWriteInputTokens
			if (tc.want != "") != (hit == 1200) {
				t.Errorf("cache usage %+v for cache points %q", resp.Usage, tc.want)
			}
			if resp.Metadata["cacheReadInputTokens"] != resp.Usage.CacheReadInputTokens || resp.Metadata["cacheWriteInputTokens"] != resp.Usage.CacheWriteInputTokens {
				t.Errorf("metadata %v disagrees with usage %+v", resp.Metadata, resp.Usage)
			}
		})
	}
}

// The seed's usage example: a large system prompt is written to the cache
// by the first call and read by the second, as the server accounts it.
func TestCacheUsageFromServer(t *testing.T) {
	c := newClient(t, start(t, builtinModel(t)), chat.WithOptions(chat.Options{Model: sonnet, Cache: &chat.CacheOptions{Strategy: chat.CacheSystemOnly}}))
	system := strings.Repeat("You are an expert software architect specialising in distributed systems. ", 150)
	first, err := c.Prompt().System(system).User("What is microservices architecture?").Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Prompt().System(system).User("What are the benefits of event sourcing?").Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if first.Metadata["cacheWriteInputTokens"].(int) < 1024 || first.Usage.CacheReadInputTokens != 0 {
		t.Errorf("first call usage %+v, want a cache write of the system prompt", first.Usage)
	}
	if second.Metadata["cacheReadInputTokens"].(int) != first.Usage.CacheWriteInputTokens || second.Usage.CacheWriteInputTokens != 0 {
		t.Errorf("second call usage %+v, want the first call's write read back", second.Usage)
	}
}

// CONVERSATION_HISTORY moves its checkpoint to the newest user message in
// every round of a tool loop, never piling them up.
func TestCacheConversationHistoryToolLoop(t *testing.T) {
	s := &script{answer: func(_ context.Context, n int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		if n == 1 {
			return toolAnswer(toolUse{"t1", "clock", nil}), nil
		}
		return textAnswer("noon"), nil
	}}
	clock := chat.NewTool("clock", "Time", func(context.Context, struct{}) (string, error) { return "12:00", nil })
	c := newClient(t, start(t, s), chat.WithTools(clock), chat.WithOptions(chat.Options{Model: sonnet, Cache: &chat.CacheOptions{Strategy: chat.CacheConversationHistory}}))
	if _, err := c.Prompt("time?").Call(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	if got := cacheShape(reqs[0]); got != "M0.1" {
		t.Errorf("round 1 cache points %q", got)
	}
	if got := cacheShape(reqs[1]); got != "M2.1" {
		t.Errorf("round 2 cache points %q, want only at the tool results", got)
	}
}

func TestCacheRefusedBeforeSending(t *testing.T) {
	s := &script{answer: func(context.Context, int, *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("ok"), nil
	}}
	weather := chat.NewTool("weather", "Weather", func(context.Context, weatherIn) (string, error) { return "", nil })
	c := newClient(t, start(t, s), chat.WithTools(weather))
	for _, tc := range []struct {
		name string
		opts chat.Options
	}{
		{"nova tools only", chat.Options{Model: nova, Cache: &chat.CacheOptions{Strategy: chat.CacheToolsOnly}}},
		{"nova system and tools", chat.Options{Model: "us.amazon.nova-pro-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheSystemAndTools}}},
		{"llama", chat.Options{Model: "meta.llama3-8b-instruct-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheSystemOnly}}},
		{"bad ttl", chat.Options{Model: sonnet, Cache: &chat.CacheOptions{Strategy: chat.CacheSystemOnly, TTL: time.Minute}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Prompt().System("sys").User("hi").Options(tc.opts).Call(t.Context())
			var ce *chat.CacheError
			if !errors.As(err, &ce) {
				t.Errorf("err %v, want *chat.CacheError", err)
			}
		})
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	// Five hand-placed checkpoints exceed Bedrock's four.
	cp := wireCachePoint()
	msgs := c.Prompt()
	for range 5 {
		msgs = msgs.Messages(cp)
	}
	if _, err := msgs.Call(t.Context()); err == nil || !strings.Contains(err.Error(), "allows 4") {
		t.Errorf("err %v, want the 4-checkpoint limit", err)
	}
}

func wireCachePoint() types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: "x"},
		&types.ContentBlockMemberCachePoint{Value: types.CachePointBlock{Type: types.CachePointTypeDefault}},
	}}
}
