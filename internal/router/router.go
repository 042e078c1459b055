// Package router decides which backend answers a model ID and accounts for
// what it spent. The server hands it decoded, validated requests.
package router

import (
	"context"
	"errors"
	"iter"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Options configure a Router.
type Options struct {
	// Default answers every model ID no route claims.
	Default provider.Provider
	// Tokens counts prompt tokens for CountTokens when the backend cannot.
	Tokens *tokens.Counter
}

// Router resolves model IDs to providers. It is safe for concurrent use.
type Router struct {
	opts Options
}

// New returns a Router.
func New(opts Options) (*Router, error) {
	if opts.Default == nil {
		return nil, errors.New("router: no default provider")
	}
	if opts.Tokens == nil {
		return nil, errors.New("router: no token counter")
	}
	return &Router{opts: opts}, nil
}

// resolve picks the provider for a call and fills in the upstream model.
func (r *Router) resolve(c *provider.Call) provider.Provider {
	if c.UpstreamModel == "" {
		c.UpstreamModel = c.ModelID
	}
	return r.opts.Default
}

// Converse answers a Converse call.
func (r *Router) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	return r.resolve(c).Converse(ctx, c)
}

// ConverseStream answers a ConverseStream call.
func (r *Router) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return r.resolve(c).ConverseStream(ctx, c)
}

// CountTokens counts the prompt tokens of a CountTokens input, asking the
// backend when it can count for itself.
func (r *Router) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	p := r.resolve(&provider.Call{ModelID: modelID})
	if tc, ok := p.(provider.TokenCounter); ok {
		n, err := tc.CountTokens(ctx, modelID, in)
		if err != nil {
			return nil, err
		}
		return &wire.CountTokensResponse{InputTokens: n}, nil
	}
	switch {
	case in.Converse != nil:
		n := r.opts.Tokens.Converse(tokens.FromTokensRequest(in.Converse)).Total
		return &wire.CountTokensResponse{InputTokens: n}, nil
	case in.InvokeModel != nil:
		return &wire.CountTokensResponse{InputTokens: r.opts.Tokens.InvokeModelBody(in.InvokeModel.Body)}, nil
	}
	return nil, wire.Errorf(wire.ValidationException, "input must contain exactly one of converse or invokeModel.")
}
