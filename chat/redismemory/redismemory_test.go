package redismemory_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/chat/redismemory"
	"github.com/conversekit/converse/internal/redistest"
)

// redisServer starts a private redis-server (redistest.Start: skipped
// without one, failed when CONVERSE_REQUIRE_REDIS=1) and returns a client.
func redisServer(t *testing.T) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redistest.Start(t)})
	t.Cleanup(func() { c.Close() })
	return c
}

func text(role types.ConversationRole, s string) types.Message {
	return types.Message{Role: role, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func TestRoundTripAndWindow(t *testing.T) {
	m, err := redismemory.New(redismemory.Options{Client: redisServer(t), Window: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	toolUse := types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: "checking"},
		&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("t1"), Name: aws.String("weather"), Input: document.NewLazyDocument(map[string]any{"city": "Oslo"})}},
	}}
	result := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("t1"), Status: types.ToolResultStatusSuccess, Content: []types.ToolResultContentBlock{
			&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument(map[string]any{"temp": 3.0})},
		}}},
	}}
	img := chat.Image([]byte("\x89PNG\r\n\x1a\nxx"))
	first := types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "weather?"}, img.Block()}}
	if err := m.Add(ctx, "c1", first, toolUse, result, text(types.ConversationRoleAssistant, "3C")); err != nil {
		t.Fatal(err)
	}
	got, err := m.Get(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := chat.MarshalMessages([]types.Message{first, toolUse, result, text(types.ConversationRoleAssistant, "3C")})
	gotJSON, _ := chat.MarshalMessages(got)
	if diff := cmp.Diff(string(wantJSON), string(gotJSON)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Two more messages push the window past the tool exchange; the
	// history restarts at a plain user turn.
	if err := m.Add(ctx, "c1", text(types.ConversationRoleUser, "and tomorrow?"), text(types.ConversationRoleAssistant, "5C")); err != nil {
		t.Fatal(err)
	}
	got, _ = m.Get(ctx, "c1")
	if len(got) != 2 || got[0].Role != types.ConversationRoleUser {
		t.Errorf("window kept %d messages starting with %q, want the last user turn and answer", len(got), got[0].Role)
	}
	if other, _ := m.Get(ctx, "c2"); len(other) != 0 {
		t.Errorf("unknown conversation has %d messages", len(other))
	}
	if err := m.Clear(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Get(ctx, "c1"); len(got) != 0 {
		t.Errorf("cleared conversation has %d messages", len(got))
	}
}

// Concurrent writers to one conversation lose nothing.
func TestConcurrentAdds(t *testing.T) {
	m, err := redismemory.New(redismemory.Options{Client: redisServer(t), Window: 100, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if err := m.Add(context.Background(), "shared", text(types.ConversationRoleUser, fmt.Sprint("q", i)), text(types.ConversationRoleAssistant, fmt.Sprint("a", i))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := m.Get(t.Context(), "shared")
	if len(got) != 20 {
		t.Errorf("%d messages stored, want 20", len(got))
	}
}
