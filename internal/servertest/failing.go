package servertest

import (
	"context"
	"iter"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/wire"
)

// Failing is a router that answers every call with one exception: before
// the stream starts, or after a messageStart event when MidStream is set.
// Use it as Options.Wrap to see how an error reaches clients.
type Failing struct {
	Err       *wire.Exception
	MidStream bool
}

var _ server.Router = Failing{}

// ModelForms is the model ID itself: Failing has no aliases.
func (f Failing) ModelForms(modelID string) []string { return []string{modelID} }

// Converse fails.
func (f Failing) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return nil, f.Err
}

// ConverseStream fails, after one event if MidStream.
func (f Failing) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		if f.MidStream && !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		yield(nil, f.Err)
	}
}

// CountTokens fails.
func (f Failing) CountTokens(context.Context, string, *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	return nil, f.Err
}
