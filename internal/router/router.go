// Package router decides which backend answers a model ID and accounts for
// what it spent. The server hands it decoded, validated requests; it knows
// backends only through the provider contract.
package router

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"time"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Options configure a Router.
type Options struct {
	// Backends are the providers by name.
	Backends map[string]provider.Provider
	// Default names the backend for catalogue models no route claims.
	Default string
	// Routes are tried in order; the first match wins.
	Routes []Route
	// Aliases map a model ID clients send to the ID routed and checked.
	Aliases map[string]string
	// Tokens counts prompt tokens for CountTokens when the backend cannot.
	Tokens *tokens.Counter
	// Catalog knows the Bedrock model IDs and what each model accepts.
	Catalog *catalog.Catalog
	// Logger notes fallbacks; nil discards.
	Logger *slog.Logger
	// Metrics records calls, tokens and fallbacks; nil records nothing.
	Metrics *metrics.Metrics
	// Cache remembers cached prompt prefixes and their TTLs; nil means an
	// in-memory registry for this process (Redis shares it across replicas).
	Cache promptcache.Registry
}

// Router resolves model IDs to providers. It is safe for concurrent use.
type Router struct {
	opts   Options
	routes []compiledRoute
	cache  promptcache.Registry
}

// New checks the options and returns a Router.
func New(opts Options) (*Router, error) {
	if opts.Tokens == nil {
		return nil, errors.New("router: no token counter")
	}
	if opts.Catalog == nil {
		return nil, errors.New("router: no model catalogue")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{opts: opts, cache: opts.Cache}
	if r.cache == nil {
		r.cache = promptcache.NewMemory(promptcache.MemoryOptions{})
	}
	var errs []error
	if _, ok := opts.Backends[opts.Default]; !ok {
		errs = append(errs, fmt.Errorf("router: default backend %q is not among the backends", opts.Default))
	}
	for i, rt := range opts.Routes {
		if rt.Pattern == "" {
			errs = append(errs, fmt.Errorf("router: route %d has no pattern", i))
		}
		c := compiledRoute{pattern: rt.Pattern}
		for _, t := range append([]Target{rt.Target}, rt.Fallbacks...) {
			tt, err := r.buildTarget(t)
			if err != nil {
				errs = append(errs, fmt.Errorf("router: route %q: %w", rt.Pattern, err))
				continue
			}
			c.chain = append(c.chain, tt)
		}
		r.routes = append(r.routes, c)
	}
	for from, to := range opts.Aliases {
		if from == "" || to == "" {
			errs = append(errs, fmt.Errorf("router: empty alias %q → %q", from, to))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// Checker is implemented by providers that can tell before calling that a
// request is beyond them (a backend that cannot read PDFs, say); the router
// skips such a fallback instead of sending it a request it must refuse.
type Checker interface {
	Check(c *provider.Call) error
}

// retryable errors move a call on to the next fallback.
func retryable(err error) bool {
	var ex *wire.Exception
	if !errors.As(err, &ex) {
		return errors.Is(err, context.DeadlineExceeded)
	}
	switch ex.Type {
	case wire.ThrottlingException, wire.ServiceUnavailableException, wire.ModelTimeoutException, wire.ModelNotReadyException:
		return true
	}
	return false
}

// prepare resolves the call's model and checks it against the catalogue.
func (r *Router) prepare(c *provider.Call, stream bool) (plan, error) {
	p, err := r.plan(c.ModelID)
	if err != nil {
		return p, err
	}
	r.countPrompt(c)
	if p.known {
		if err := r.opts.Catalog.CheckCapabilities(p.model, c.Request); err != nil {
			return p, err
		}
		if stream {
			if err := r.opts.Catalog.CheckStream(p.model, c.Request); err != nil {
				return p, err
			}
		}
	}
	return p, nil
}

// attempt returns the call as target t should receive it, or an error when
// t says up front that it cannot serve it.
func attempt(c *provider.Call, t target, first bool) (*provider.Call, error) {
	cc := *c
	cc.UpstreamModel = t.model
	if ch, ok := t.provider.(Checker); ok && !first {
		if err := ch.Check(&cc); err != nil {
			return nil, err
		}
	}
	return &cc, nil
}

func noBackend(model string) error {
	return wire.Errorf(wire.ServiceUnavailableException, "No backend is available for model %s.", model)
}

// Converse answers a Converse call, moving down the route's fallbacks while
// targets are throttled, unavailable or time out.
func (r *Router) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	start := time.Now()
	p, err := r.prepare(c, false)
	if err != nil {
		r.opts.Metrics.Call("Converse", c.ModelID, "", outcome(err), time.Since(start), nil)
		return nil, err
	}
	last := noBackend(c.ModelID)
	for i, t := range p.targets {
		cc, err := attempt(c, t, i == 0)
		if err != nil {
			r.opts.Logger.InfoContext(ctx, "fallback skipped", "model", c.ModelID, "backend", t.name, "reason", err.Error())
			continue
		}
		invocationlog.Routed(ctx, t.name, t.model)
		out, err := t.provider.Converse(ctx, cc)
		if err == nil || !retryable(err) || ctx.Err() != nil {
			var u *metrics.Usage
			if err == nil {
				out.Usage = r.account(ctx, cc, p, t, out.Usage)
				u = usageOf(out.Usage)
			}
			r.opts.Metrics.Call("Converse", c.ModelID, t.name, outcome(err), time.Since(start), u)
			return out, err
		}
		last = err
		r.fellBack(ctx, c, t, err)
	}
	r.opts.Metrics.Call("Converse", c.ModelID, "", outcome(last), time.Since(start), nil)
	return nil, last
}

func (r *Router) fellBack(ctx context.Context, c *provider.Call, t target, err error) {
	r.opts.Metrics.Fallback(c.ModelID, t.name)
	r.opts.Logger.WarnContext(ctx, "backend failed, trying fallback", "model", c.ModelID, "backend", t.name, "error", err.Error())
}

// ConverseStream answers a ConverseStream call. Fallbacks apply only until
// the first event: after that the client has seen part of an answer.
func (r *Router) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := time.Now()
		p, err := r.prepare(c, true)
		if err != nil {
			r.opts.Metrics.Call("ConverseStream", c.ModelID, "", outcome(err), time.Since(start), nil)
			yield(nil, err)
			return
		}
		last := noBackend(c.ModelID)
		for i, t := range p.targets {
			cc, err := attempt(c, t, i == 0)
			if err != nil {
				r.opts.Logger.InfoContext(ctx, "fallback skipped", "model", c.ModelID, "backend", t.name, "reason", err.Error())
				continue
			}
			invocationlog.Routed(ctx, t.name, t.model)
			started, firstToken, retry := false, false, false
			var u *metrics.Usage
			var failure error
			for ev, err := range ordered(t.name, t.provider.ConverseStream(ctx, cc)) {
				if err != nil && !started && retryable(err) && ctx.Err() == nil {
					last, retry = err, true
					r.fellBack(ctx, c, t, err)
					break
				}
				started = true
				if err != nil {
					failure = err
				} else if ev.ContentBlockDelta != nil && !firstToken {
					firstToken = true
					r.opts.Metrics.FirstToken(c.ModelID, t.name, time.Since(start))
				} else if ev.Metadata != nil {
					ev.Metadata.Usage = r.account(ctx, cc, p, t, ev.Metadata.Usage)
					u = usageOf(ev.Metadata.Usage)
				}
				if !yield(ev, err) || err != nil {
					break
				}
			}
			if !retry {
				if failure == nil && ctx.Err() != nil {
					failure = ctx.Err()
				}
				r.opts.Metrics.Call("ConverseStream", c.ModelID, t.name, outcome(failure), time.Since(start), u)
				return
			}
		}
		r.opts.Metrics.Call("ConverseStream", c.ModelID, "", outcome(last), time.Since(start), nil)
		yield(nil, last)
	}
}

// outcome labels a call's result: "ok" or the exception type.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return wire.AsException(err).Type
}

func usageOf(u *wire.TokenUsage) *metrics.Usage {
	if u == nil {
		return nil
	}
	m := &metrics.Usage{Input: u.InputTokens, Output: u.OutputTokens}
	if u.CacheReadInputTokens != nil {
		m.CacheRead = *u.CacheReadInputTokens
	}
	if u.CacheWriteInputTokens != nil {
		m.CacheWrite = *u.CacheWriteInputTokens
	}
	return m
}

// CountTokens counts the prompt tokens of a CountTokens input, asking the
// backend when it can count for itself.
func (r *Router) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	p, err := r.plan(modelID)
	if err != nil {
		return nil, err
	}
	if tc, ok := p.targets[0].provider.(provider.TokenCounter); ok {
		n, err := tc.CountTokens(ctx, p.targets[0].model, in)
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
