package router

import (
	"context"
	"errors"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/glob"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// DefaultQuotaOutputTokens is what a quota reserves for the answer of a
// request without inferenceConfig.maxTokens when Options.QuotaOutputTokens
// is zero (capped by the model's maximum output when the catalogue knows it).
const DefaultQuotaOutputTokens = 4096

// quotaMatch is how quota rules match principals and model IDs: the one
// glob dialect of routes and principals.
func quotaMatch(pattern, s string) bool { return glob.Match(pattern, s) }

// newQuotas builds the limiter from the router's options; nil without rules.
func newQuotas(o Options) (*ratelimit.Limiter, error) {
	if len(o.Quotas.Rules) == 0 {
		return nil, nil
	}
	q := o.Quotas
	if q.Match == nil {
		q.Match = quotaMatch
	}
	if q.Logger == nil {
		q.Logger = o.Logger
	}
	if q.Metrics == nil {
		q.Metrics = o.Metrics
	}
	return ratelimit.New(q)
}

// admit asks the quotas whether the call may go ahead, before any backend
// is called: the rule is matched on the principal and on the model ID as
// sent, as aliased and as its base ID (the forms routes match).
func (r *Router) admit(ctx context.Context, c *provider.Call, p plan) (*ratelimit.Reservation, error) {
	return r.admitReserve(ctx, c.Principal, c.ModelID, func() ratelimit.Reserve { return r.reserve(c, p) })
}

// admitReserve is admit with the reservation computed by reserve (called
// only when a rule limits tokens).
func (r *Router) admitReserve(ctx context.Context, principal, modelID string, reserve func() ratelimit.Reserve) (*ratelimit.Reservation, error) {
	if r.quotas == nil {
		return nil, nil
	}
	models := []string{modelID}
	id := modelID
	if a, ok := r.opts.Aliases[id]; ok {
		id = a
		models = append(models, id)
	}
	if base := catalog.BaseID(id); base != id {
		models = append(models, base)
	}
	return r.quotas.Admit(ctx, ratelimit.Request{
		Principal: principal,
		Models:    models,
		Tokens:    reserve,
	})
}

// reserve is what a call reserves, as Bedrock does: the whole prompt
// (cached parts included, counted offline) plus maxTokens, or without it
// the configured default output capped by the model's maximum.
func (r *Router) reserve(c *provider.Call, p plan) ratelimit.Reserve {
	var prompt int
	if c.Prompt != nil {
		prompt = c.Prompt.Total
	} else {
		prompt = r.opts.Tokens.Converse(tokens.FromRequest(c.Request)).Total
	}
	out := r.opts.QuotaOutputTokens
	if out <= 0 {
		out = DefaultQuotaOutputTokens
	}
	if p.known && p.model.MaxOutputTokens > 0 {
		out = min(out, p.model.MaxOutputTokens)
	}
	if ic := c.Request.InferenceConfig; ic != nil && ic.MaxTokens != nil {
		out = *ic.MaxTokens
	}
	return ratelimit.Reserve{Prompt: int64(prompt), Output: int64(out)}
}

// quotaTally follows a call for its settlement: the usage it reported, or
// failing that how much output reached the caller.
type quotaTally struct {
	res      *ratelimit.Reservation
	counter  *tokens.Counter
	usage    *wire.TokenUsage
	produced bool // some content reached the caller
	streamed int  // its tokens, counted only when the rule limits tokens
}

// see notes one stream event.
func (t *quotaTally) see(ev *wire.StreamEvent) {
	if t.res == nil || ev == nil {
		return
	}
	if ev.Metadata != nil && ev.Metadata.Usage != nil {
		t.usage = ev.Metadata.Usage
	}
	d := ev.ContentBlockDelta
	if d == nil || d.Delta == nil {
		return
	}
	t.produced = true
	if !t.res.LimitsTokens() || t.usage != nil {
		return
	}
	switch {
	case d.Delta.Text != nil:
		t.streamed += t.counter.Text(*d.Delta.Text)
	case d.Delta.ToolUse != nil:
		t.streamed += t.counter.Text(d.Delta.ToolUse.Input)
	case d.Delta.ReasoningContent != nil && d.Delta.ReasoningContent.Text != nil:
		t.streamed += t.counter.Text(*d.Delta.ReasoningContent.Text)
	}
}

// settle squares the reservation when the call ends, with whatever usage
// is known:
//   - the usage the backend reported (Converse's usage, the stream's
//     metadata event): prompt, cache reads and writes and output;
//   - a call that failed before any output reached the caller (backend
//     error, every fallback failed): nothing, the reservation is refunded;
//   - a stream cut short (error or hang-up after output began) or a call
//     the caller cancelled: the prompt plus the output streamed so far.
func (t *quotaTally) settle(ctx context.Context, err error) {
	if t.res == nil {
		return
	}
	var used int64
	switch {
	case t.usage != nil:
		u := t.usage
		used = int64(u.InputTokens + deref(u.CacheReadInputTokens) + deref(u.CacheWriteInputTokens) + u.OutputTokens)
	case err != nil && !t.produced && ctx.Err() == nil && !errors.Is(err, context.Canceled):
		used = 0
	default:
		used = t.res.Reserved().Prompt + int64(t.streamed)
	}
	t.res.Settle(ctx, used)
}
