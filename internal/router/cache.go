package router

import (
	"context"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// hasCachePoints reports whether a request asks for prompt caching.
func hasCachePoints(req *wire.ConverseRequest) bool {
	if tc := req.ToolConfig; tc != nil {
		for _, t := range tc.Tools {
			if t.CachePoint != nil {
				return true
			}
		}
	}
	for _, s := range req.System {
		if s.CachePoint != nil {
			return true
		}
	}
	for _, m := range req.Messages {
		for _, b := range m.Content {
			if b.CachePoint != nil {
				return true
			}
		}
	}
	return false
}

// countPrompt counts a request with cache points once, with the block
// boundaries the cache lookback needs, for the accounting after the call and
// for a backend that counts offline; other requests are not counted here.
func (r *Router) countPrompt(c *provider.Call) {
	if c.Prompt == nil && hasCachePoints(c.Request) {
		n := r.opts.Tokens.ConverseBlocks(tokens.FromRequest(c.Request))
		c.Prompt = &n
	}
}

// account gives a successful call's usage the meaning of its cachePoints,
// identically for Converse and for the stream's metadata event. Backends
// that report their own cache numbers keep them (their prefixes are still
// registered, so a later call through another backend sees them); for the
// others the registry decides what was read and written. Registry failures
// degrade to "nothing cached" rather than failing an answered call.
func (r *Router) account(ctx context.Context, c *provider.Call, p plan, t target, u *wire.TokenUsage) *wire.TokenUsage {
	if u == nil || c.Prompt == nil {
		return u
	}
	key := c.ModelID
	if p.known {
		key = p.model.ID
	} else {
		key = catalog.BaseID(key)
	}
	in := promptcache.Request{
		ModelID:         key,
		Converse:        c.Request,
		Count:           *c.Prompt,
		MinTokens:       p.model.MinCacheTokens,
		TTL1h:           p.model.CacheTTL1h,
		LookbackBlocks:  p.model.CacheLookbackBlocks,
		MaxCachedTokens: p.model.MaxCachedTokens,
	}
	if rep, ok := t.provider.(provider.CacheReporter); ok && rep.ReportsCacheUsage() {
		if err := promptcache.Register(ctx, r.cache, in); err != nil {
			r.opts.Logger.WarnContext(ctx, "prompt cache registry", "error", err.Error())
		}
		r.opts.Metrics.CacheLookup(p.label, u.CacheReadInputTokens != nil && *u.CacheReadInputTokens > 0)
		return u
	}
	// The backend's own prompt count is the better total; our checkpoint
	// sizes place the cache boundaries.
	if backendTotal := u.InputTokens + deref(u.CacheReadInputTokens) + deref(u.CacheWriteInputTokens); backendTotal > 0 {
		in.Count.Total = backendTotal
	}
	cu, err := promptcache.Account(ctx, r.cache, in)
	if err != nil {
		r.opts.Logger.WarnContext(ctx, "prompt cache registry", "error", err.Error())
		return u
	}
	r.opts.Metrics.CacheLookup(p.label, cu.CacheReadInputTokens > 0)
	tu := cu.TokenUsage(u.OutputTokens)
	return &tu
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
