// Package provider is the contract every model backend implements: the
// built-in model, OpenAI-compatible servers, Anthropic and AWS Bedrock.
// The router calls backends only through it.
package provider

import (
	"context"
	"iter"
	"time"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Call is one Converse or ConverseStream request on its way to a backend.
type Call struct {
	// ModelID is the model ID as the client sent it (decoded from the path).
	ModelID string
	// UpstreamModel is the backend's name for the model, after routing.
	UpstreamModel string
	// Request is the decoded, validated request; providers must not modify it.
	Request *wire.ConverseRequest
	// Raw is the request body exactly as received (the bedrock provider
	// forwards it unchanged).
	Raw []byte
	// Principal names the authenticated caller, for logs and upstream tags.
	Principal string
	// Received is when the server had the request in hand (body read,
	// caller authenticated), the origin of the request's duration and of
	// converse's own overhead in metrics; zero means when the router got it.
	Received time.Time
	// Prompt is the prompt's offline token count when the router already
	// made it (requests with cache points), so a backend that counts
	// offline need not count again; nil otherwise.
	Prompt *tokens.Count
}

// Provider is a model backend. Converse answers in one piece; ConverseStream
// yields events in Bedrock's order (messageStart, blocks, messageStop,
// metadata). An error ends the stream and is yielded once; it should be a
// *wire.Exception. Breaking out of the stream releases the upstream call.
type Provider interface {
	Converse(ctx context.Context, c *Call) (*wire.ConverseResponse, error)
	ConverseStream(ctx context.Context, c *Call) iter.Seq2[*wire.StreamEvent, error]
}

// TokenCounter is implemented by providers that can count prompt tokens the
// way their model does (CountTokens). Others are counted offline.
type TokenCounter interface {
	CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (int, error)
}

// CacheReporter is implemented by backends whose usage already carries the
// model's own prompt-cache accounting (Anthropic, AWS Bedrock). The router
// keeps their numbers; for every other backend converse's own cache
// registry decides what was read and written.
type CacheReporter interface {
	ReportsCacheUsage() bool
}

// GuardrailForwarder is implemented by backends that apply a request's
// guardrailConfig themselves (AWS Bedrock, which receives the body as the
// client sent it). The router applies converse's own guardrails to every
// other backend.
type GuardrailForwarder interface {
	ForwardsGuardrails() bool
}

// FieldChecker is implemented by backends that cannot honour every
// optional member of a Converse request (serviceTier, performanceConfig,
// promptVariables, …): CheckFields returns a ValidationException naming
// the member when the request asks for what the backend cannot do, so a
// field is refused rather than silently dropped (docs/fields.md). A
// backend without it honours every member (the bedrock backend forwards
// them to Bedrock).
type FieldChecker interface {
	CheckFields(req *wire.ConverseRequest) error
}
