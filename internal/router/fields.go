package router

import (
	"context"
	"strings"

	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// What the router adds to every backend's answer so that each request
// member means what it means on Bedrock (docs/fields.md): the echo of
// serviceTier and performanceConfig, and counted usage where a backend
// reported none.

// complete finishes a Converse answer.
func (r *Router) complete(ctx context.Context, c *provider.Call, out *wire.ConverseResponse) {
	if out.ServiceTier == nil {
		out.ServiceTier = c.Request.ServiceTier
	}
	if out.PerformanceConfig == nil {
		out.PerformanceConfig = c.Request.PerformanceConfig
	}
	if noUsage(out.Usage) {
		var t outputTally
		if out.Output != nil && out.Output.Message != nil {
			for _, b := range out.Output.Message.Content {
				t.block(b)
			}
		}
		out.Usage = r.estimate(ctx, c, &t)
	}
}

// completeStream finishes a stream's metadata event.
func (r *Router) completeStream(ctx context.Context, c *provider.Call, md *wire.ConverseStreamMetadataEvent, t *outputTally) {
	if md.ServiceTier == nil {
		md.ServiceTier = c.Request.ServiceTier
	}
	if md.PerformanceConfig == nil {
		md.PerformanceConfig = c.Request.PerformanceConfig
	}
	if noUsage(md.Usage) {
		md.Usage = r.estimate(ctx, c, t)
	}
}

// noUsage: absent, or all zero — what upstreams that do not count (some
// OpenAI-compatible servers, streams without include_usage) report.
func noUsage(u *wire.TokenUsage) bool {
	return u == nil || (u.InputTokens == 0 && u.OutputTokens == 0 && u.TotalTokens == 0 &&
		deref(u.CacheReadInputTokens) == 0 && deref(u.CacheWriteInputTokens) == 0)
}

// estimate counts the prompt and the answer offline, and marks the call's
// invocation record as estimated.
func (r *Router) estimate(ctx context.Context, c *provider.Call, t *outputTally) *wire.TokenUsage {
	in := 0
	if c.Prompt != nil {
		in = c.Prompt.Total
	} else {
		in = r.opts.Tokens.Converse(tokens.FromRequest(c.Request)).Total
	}
	out := r.opts.Tokens.Text(t.text.String())
	invocationlog.Estimated(ctx)
	return &wire.TokenUsage{InputTokens: in, OutputTokens: out, TotalTokens: in + out}
}

// outputTally collects what the model said, for counting it.
type outputTally struct {
	text strings.Builder
}

func (t *outputTally) see(d *wire.ContentBlockDelta) {
	if d == nil {
		return
	}
	switch {
	case d.Text != nil:
		t.text.WriteString(*d.Text)
	case d.ToolUse != nil:
		t.text.WriteString(d.ToolUse.Input)
	case d.ReasoningContent != nil && d.ReasoningContent.Text != nil:
		t.text.WriteString(*d.ReasoningContent.Text)
	}
}

func (t *outputTally) block(b wire.ContentBlock) {
	switch {
	case b.Text != nil:
		t.text.WriteString(*b.Text)
	case b.ToolUse != nil:
		t.text.WriteString(b.ToolUse.Name)
		t.text.Write(b.ToolUse.Input)
	case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
		t.text.WriteString(b.ReasoningContent.ReasoningText.Text)
	case b.CitationsContent != nil:
		for _, g := range b.CitationsContent.Content {
			if g.Text != nil {
				t.text.WriteString(*g.Text)
			}
		}
	}
}
