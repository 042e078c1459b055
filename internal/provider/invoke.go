package provider

import (
	"context"
	"iter"
	"net/http"
	"time"

	"github.com/conversekit/converse/internal/invoke"
)

// Invocation is one InvokeModel or InvokeModelWithResponseStream request
// on its way to a backend that serves the model-native body itself
// (Invoker).
type Invocation struct {
	// ModelID is the model ID as the client sent it (decoded from the path).
	ModelID string
	// UpstreamModel is the backend's name for the model, after routing.
	UpstreamModel string
	// Family is the body's format (invoke.FamilyOther when converse does
	// not know it).
	Family invoke.Family
	// Body is the request body exactly as received.
	Body []byte
	// Headers are the request's InvokeModel headers.
	Headers invoke.Headers
	// Principal names the authenticated caller.
	Principal string
	// Received is when the server had the request in hand.
	Received time.Time
}

// InvokeResponse is a backend's whole answer to an InvokeModel call.
type InvokeResponse struct {
	// Body is the model-native response body.
	Body []byte
	// ContentType is its MIME type ("application/json" when empty).
	ContentType string
	// Usage is what the call spent, for the token-count headers, quotas
	// and metrics.
	Usage invoke.Usage
	// Header holds response headers of the upstream service the caller
	// should see as they are (X-Amzn-Bedrock-*); nil for none.
	Header http.Header
}

// Chunk is one chunk of an InvokeModelWithResponseStream answer: the
// model-native JSON the event's bytes carry.
type Chunk struct {
	Bytes []byte
	// Usage is set on the stream's last chunk only, with what the whole
	// call spent.
	Usage *invoke.Usage
}

// Invoker is implemented by backends that serve model-native bodies
// themselves: the Anthropic Messages API natively, real Bedrock by
// forwarding the bytes. The router hands other backends a Messages body
// as its Converse equivalent, and embeddings through Embedder.
type Invoker interface {
	// Invokes reports whether the backend serves bodies of family f.
	Invokes(f invoke.Family) bool
	InvokeModel(ctx context.Context, inv *Invocation) (*InvokeResponse, error)
	// InvokeModelStream yields the answer's chunks; an error ends the
	// stream and is yielded once; breaking out releases the upstream call.
	InvokeModelStream(ctx context.Context, inv *Invocation) iter.Seq2[*Chunk, error]
}

// EmbedCall is one embedding request on its way to a backend.
type EmbedCall struct {
	ModelID       string
	UpstreamModel string
	// Request is the decoded, validated body.
	Request *invoke.EmbedRequest
	// Dimensions is the vector length to produce: the request's, else the
	// model's default (0 when unknown: the backend's own).
	Dimensions int
	// MaxInputTokens bounds each input (0: no limit known); the router has
	// applied the request's truncation already.
	MaxInputTokens int
	Principal      string
}

// Embedder is implemented by backends that compute embeddings (the
// built-in model, OpenAI-compatible /v1/embeddings servers). Vectors come
// back as the backend made them; the router normalises and quantises as
// the request's family asks.
type Embedder interface {
	Embed(ctx context.Context, c *EmbedCall) (*invoke.Embeddings, error)
}
