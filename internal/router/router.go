// Package router decides which backend answers a model ID and accounts for
// what it spent. The server hands it decoded, validated requests.
package router

import (
	"context"
	"errors"
	"iter"
	"strings"

	"github.com/conversekit/converse/internal/catalog"
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
	// Catalog knows the Bedrock model IDs and what each model accepts. A
	// model ID it does not know is refused as Bedrock refuses it.
	Catalog *catalog.Catalog
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
	if opts.Catalog == nil {
		return nil, errors.New("router: no model catalogue")
	}
	return &Router{opts: opts}, nil
}

// resolve picks the provider for a call and fills in the upstream model.
// With no route configured, every catalogue model goes to the default
// provider and anything else is an invalid model identifier, so a typo
// fails here as it would on AWS.
func (r *Router) resolve(c *provider.Call) (provider.Provider, catalog.Model, error) {
	m, ok := r.opts.Catalog.Lookup(c.ModelID)
	if !ok && !isPromptARN(c.ModelID) {
		return nil, m, catalog.UnknownModel(c.ModelID)
	}
	if c.UpstreamModel == "" {
		c.UpstreamModel = c.ModelID
	}
	return r.opts.Default, m, nil
}

// isPromptARN reports a Prompt-management prompt ARN: it names a prompt,
// not a model, so the catalogue cannot know it; the default provider
// answers it (with its promptVariables) until a route says otherwise.
func isPromptARN(id string) bool {
	return strings.HasPrefix(id, "arn:") && strings.Contains(id, ":prompt/")
}

// Converse answers a Converse call.
func (r *Router) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	p, m, err := r.resolve(c)
	if err != nil {
		return nil, err
	}
	if err := r.opts.Catalog.CheckCapabilities(m, c.Request); err != nil {
		return nil, err
	}
	return p.Converse(ctx, c)
}

// ConverseStream answers a ConverseStream call.
func (r *Router) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	p, m, err := r.resolve(c)
	if err == nil {
		err = r.opts.Catalog.CheckCapabilities(m, c.Request)
	}
	if err == nil {
		err = r.opts.Catalog.CheckStream(m, c.Request)
	}
	if err != nil {
		return func(yield func(*wire.StreamEvent, error) bool) { yield(nil, err) }
	}
	return p.ConverseStream(ctx, c)
}

// CountTokens counts the prompt tokens of a CountTokens input, asking the
// backend when it can count for itself.
func (r *Router) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	p, _, err := r.resolve(&provider.Call{ModelID: modelID})
	if err != nil {
		return nil, err
	}
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
