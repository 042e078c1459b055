package chat

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Memory stores conversations by ID. Implementations must be safe for
// concurrent use; [WindowMemory] keeps them in process, chat/redismemory in
// Redis.
type Memory interface {
	// Get returns the conversation's history, valid to send to Bedrock.
	Get(ctx context.Context, conversationID string) ([]types.Message, error)
	// Add appends messages to the conversation.
	Add(ctx context.Context, conversationID string, msgs ...types.Message) error
	// Clear forgets the conversation.
	Clear(ctx context.Context, conversationID string) error
}

// DefaultWindow is the message window of Spring AI's
// MessageWindowChatMemory.
const DefaultWindow = 20

// WindowMemory keeps the last messages of each conversation in memory.
type WindowMemory struct {
	max  int
	mu   sync.Mutex
	conv map[string][]types.Message
}

// NewWindowMemory returns a memory keeping at most max messages per
// conversation (DefaultWindow when max ≤ 0).
func NewWindowMemory(max int) *WindowMemory {
	if max <= 0 {
		max = DefaultWindow
	}
	return &WindowMemory{max: max, conv: map[string][]types.Message{}}
}

// Get implements Memory.
func (w *WindowMemory) Get(_ context.Context, id string) ([]types.Message, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.conv[id]), nil
}

// Add implements Memory.
func (w *WindowMemory) Add(_ context.Context, id string, msgs ...types.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.conv[id] = Window(append(slices.Clone(w.conv[id]), msgs...), w.max)
	return nil
}

// Clear implements Memory.
func (w *WindowMemory) Clear(_ context.Context, id string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.conv, id)
	return nil
}

// Window returns at most max of the latest messages, shaped as Bedrock
// accepts a history: cache checkpoints removed, consecutive messages of one
// role merged, and starting with a user turn that is not a tool result, so
// a tool call is never separated from its results. When no such start lies
// within the window, the history is empty.
func Window(msgs []types.Message, max int) []types.Message {
	var out []types.Message
	for _, m := range msgs {
		content := slices.DeleteFunc(slices.Clone(m.Content), func(c types.ContentBlock) bool {
			_, ok := c.(*types.ContentBlockMemberCachePoint)
			return ok
		})
		if len(content) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role {
			out[n-1].Content = append(slices.Clip(out[n-1].Content), content...)
			continue
		}
		out = append(out, types.Message{Role: m.Role, Content: content})
	}
	from := len(out)
	for i := len(out) - 1; i >= 0 && len(out)-i <= max; i-- {
		if startsTurn(out[i]) {
			from = i
		}
	}
	return out[from:]
}

// startsTurn reports a user message that may open a history.
func startsTurn(m types.Message) bool {
	if m.Role != types.ConversationRoleUser {
		return false
	}
	for _, c := range m.Content {
		if _, ok := c.(*types.ContentBlockMemberToolResult); ok {
			return false
		}
	}
	return true
}
