package bedrock_test

import (
	"context"
	"iter"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// The InvokeModel family of the blocking upstream: it holds every call
// until the caller leaves.

func (b *blocking) InvokeModel(ctx context.Context, _ *provider.Invocation) (*provider.InvokeResponse, error) {
	b.wait(ctx)
	return nil, wire.Errorf(wire.InternalServerException, "caller left")
}

func (b *blocking) InvokeModelStream(ctx context.Context, _ *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		if !yield(&provider.Chunk{Bytes: []byte(`{"type":"message_start","message":{}}`)}, nil) {
			return
		}
		b.wait(ctx)
		yield(nil, wire.Errorf(wire.InternalServerException, "caller left"))
	}
}

// The recorder notes InvokeModel calls too: their body and principal.
func (r *recorder) InvokeModel(ctx context.Context, inv *provider.Invocation) (*provider.InvokeResponse, error) {
	r.note(&provider.Call{ModelID: inv.ModelID, Raw: inv.Body, Principal: inv.Principal})
	r.mu.Lock()
	r.headers = append(r.headers, inv.Headers)
	r.mu.Unlock()
	return r.Router.InvokeModel(ctx, inv)
}

func (r *recorder) InvokeModelStream(ctx context.Context, inv *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	r.note(&provider.Call{ModelID: inv.ModelID, Raw: inv.Body, Principal: inv.Principal})
	return r.Router.InvokeModelStream(ctx, inv)
}
