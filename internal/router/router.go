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
	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/telemetry/genai"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
	"go.opentelemetry.io/otel/trace"
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
	// ProviderNames give each backend's gen_ai.provider.name for metrics and traces
	// (openai, anthropic, aws.bedrock, converse for the built-in model); a
	// backend not listed is labelled "unknown".
	ProviderNames map[string]string
	// Cache remembers cached prompt prefixes and their TTLs; nil means an
	// in-memory registry for this process (Redis shares it across replicas).
	Cache promptcache.Registry
	// Quotas limit requests, tokens and concurrency per principal and
	// model (no rules: none). Match, Logger and Metrics default to the
	// router's glob, logger and metrics.
	Quotas ratelimit.Options
	// QuotaOutputTokens is what a quota reserves for the answer of a
	// request without maxTokens (default DefaultQuotaOutputTokens).
	QuotaOutputTokens int
	// TracerProvider makes a client span per backend call (trace.go); nil
	// traces nothing, at no cost.
	TracerProvider trace.TracerProvider
	// Guardrails are applied to calls with guardrailConfig on every backend
	// that does not apply it itself (guardrail.go); nil knows none.
	Guardrails *guardrail.Set
}

// Router resolves model IDs to providers. It is safe for concurrent use.
type Router struct {
	opts   Options
	routes []compiledRoute
	cache  promptcache.Registry
	quotas *ratelimit.Limiter
	tracer trace.Tracer // nil: no tracing
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
	r.tracer = newTracer(opts.TracerProvider)
	var errs []error
	q, err := newQuotas(opts)
	if err != nil {
		errs = append(errs, fmt.Errorf("router: quotas: %w", err))
	}
	r.quotas = q
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
		if err := r.checkContextWindow(p.model, c); err != nil {
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
	if fc, ok := t.provider.(provider.FieldChecker); ok {
		if err := fc.CheckFields(cc.Request); err != nil {
			return nil, err
		}
	}
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

// converse answers a Converse call, moving down the route's fallbacks while
// targets are throttled, unavailable or time out.
func (r *Router) converse(ctx context.Context, c *provider.Call) (out *wire.ConverseResponse, err error) {
	rec := r.begin("Converse", c)
	p, err := r.prepare(c, false)
	rec.call.Model = p.label
	if err != nil {
		rec.done(err, nil)
		return nil, err
	}
	res, err := r.admit(ctx, c, p)
	if err != nil {
		rec.done(err, nil)
		return nil, err
	}
	defer func() {
		q := quotaTally{res: res, counter: r.opts.Tokens}
		if out != nil {
			q.usage = out.Usage
		}
		q.settle(ctx, err)
	}()
	last := noBackend(c.ModelID)
	for i, t := range p.targets {
		cc, err := attempt(c, t, i == 0)
		if err != nil {
			r.opts.Logger.InfoContext(ctx, "fallback skipped", "model", c.ModelID, "backend", t.name, "reason", err.Error())
			if i == 0 {
				last = err // no backend takes it: the first one's refusal says why
			}
			continue
		}
		routed(ctx, t)
		rec.attempt(r, t)
		began := time.Now()
		out, err := r.guardedConverse(ctx, cc, t)
		rec.upstream(time.Since(began))
		if err == nil || !retryable(err) || ctx.Err() != nil {
			var u *metrics.Usage
			if err == nil {
				r.complete(ctx, cc, out)
				out.Usage = r.account(ctx, cc, p, t, out.Usage)
				u = usageOf(out.Usage)
			}
			rec.done(err, u)
			return out, err
		}
		last = err
		r.fellBack(ctx, c, p, i, err)
	}
	rec.done(last, nil)
	return nil, last
}

// fellBack notes that target i of p failed with a retryable error; the
// log says whether another target is left to try.
func (r *Router) fellBack(ctx context.Context, c *provider.Call, p plan, i int, err error) {
	t := p.targets[i]
	r.opts.Metrics.Fallback(p.label, t.name, genai.ErrorType(err))
	if i+1 < len(p.targets) {
		r.opts.Logger.WarnContext(ctx, "backend failed, trying fallback", "model", c.ModelID, "backend", t.name, "fallback", p.targets[i+1].name, "error", err.Error())
		return
	}
	r.opts.Logger.WarnContext(ctx, "backend failed, no fallback left", "model", c.ModelID, "backend", t.name, "error", err.Error())
}

// converseStream answers a ConverseStream call. Fallbacks apply only until
// the first event: after that the client has seen part of an answer.
func (r *Router) converseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		rec := r.begin("ConverseStream", c)
		q := quotaTally{counter: r.opts.Tokens}
		var final error // how the call ended, for settling its quota
		p, err := r.prepare(c, true)
		rec.call.Model = p.label
		if err == nil {
			q.res, err = r.admit(ctx, c, p)
		}
		if err != nil {
			rec.done(err, nil)
			yield(nil, err)
			return
		}
		defer func() { q.settle(ctx, final) }()
		last := noBackend(c.ModelID)
		flusher := provider.FlusherFrom(ctx)
		for i, t := range p.targets {
			cc, err := attempt(c, t, i == 0)
			if err != nil {
				r.opts.Logger.InfoContext(ctx, "fallback skipped", "model", c.ModelID, "backend", t.name, "reason", err.Error())
				if i == 0 {
					last = err
				}
				continue
			}
			// Each backend claims the flusher for itself; a fallback that
			// does not must get one write per event.
			flusher.Release()
			var out outputTally
			routed(ctx, t)
			rec.attempt(r, t)
			started, retry := false, false
			var u *metrics.Usage
			var failure error
			// step handles one event; it reports whether the stream is over.
			step := func(ev *wire.StreamEvent, err error) bool {
				if err != nil && !started && retryable(err) && ctx.Err() == nil {
					last, retry = err, true
					r.fellBack(ctx, c, p, i, err)
					return true
				}
				started = true
				if err != nil {
					failure = err
				} else if ev.ContentBlockDelta != nil {
					rec.firstToken()
					out.see(ev.ContentBlockDelta.Delta)
				} else if ev.Metadata != nil {
					r.completeStream(ctx, cc, ev.Metadata, &out)
					if cc.Prompt != nil {
						// Accounting may ask a remote registry (Redis):
						// what the client has so far goes out first.
						flusher.Flush()
					}
					ev.Metadata.Usage = r.account(ctx, cc, p, t, ev.Metadata.Usage)
					u = usageOf(ev.Metadata.Usage)
				}
				q.see(ev)
				return !yield(ev, err) || err != nil
			}
			// The backend's time is what passes between handing us one
			// event and the next (and closing); the loop body is ours.
			mark := time.Now()
			open := func(cc *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
				return ordered(t.name, r.streamAttempt(ctx, cc, t))
			}
			for ev, err := range r.guardedStream(ctx, cc, t, open) {
				rec.upstream(time.Since(mark))
				over := step(ev, err)
				mark = time.Now()
				if over {
					break
				}
			}
			rec.upstream(time.Since(mark))
			if !retry {
				if failure == nil && ctx.Err() != nil {
					failure = ctx.Err()
				}
				rec.done(failure, u)
				final = failure
				return
			}
		}
		rec.done(last, nil)
		final = last
		yield(nil, last)
	}
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
		return &wire.CountTokensResponse{InputTokens: r.countInvokeBody(modelID, in.InvokeModel.Body)}, nil
	}
	return nil, wire.Errorf(wire.ValidationException, "input must contain exactly one of converse or invokeModel.")
}
