package servertest

import (
	"context"
	"iter"

	"github.com/conversekit/converse/internal/provider"
)

// InvokeModel fails.
func (f Failing) InvokeModel(context.Context, *provider.Invocation) (*provider.InvokeResponse, error) {
	return nil, f.Err
}

// InvokeModelStream fails, after a message_start chunk if MidStream.
func (f Failing) InvokeModelStream(context.Context, *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		if f.MidStream && !yield(&provider.Chunk{Bytes: []byte(`{"type":"message_start","message":{"id":"msg_bdrk_failing","type":"message","role":"assistant","content":[]}}`)}, nil) {
			return
		}
		yield(nil, f.Err)
	}
}
