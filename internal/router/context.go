package router

import (
	"math"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
)

// mediaTokenBound is the most tokens one attachment is estimated at
// (tokens: images and S3 references cost at most 1,600).
const mediaTokenBound = 1600

// checkContextWindow refuses a prompt the model could not read. The
// request's size in bytes bounds its text tokens, so only a request near
// the window is counted.
func (r *Router) checkContextWindow(m catalog.Model, c *provider.Call) error {
	bound := math.MaxInt
	if c.Prompt != nil {
		bound = c.Prompt.Total
	} else if c.Raw != nil {
		bound = len(c.Raw) + mediaTokenBound*mediaBlocks(c)
	}
	return catalog.CheckContextWindow(m, bound, func() int {
		if c.Prompt != nil {
			return c.Prompt.Total
		}
		return r.opts.Tokens.Converse(tokens.FromRequest(c.Request)).Total
	})
}

// mediaBlocks counts the attachments of a request, where a token estimate
// may exceed the bytes that carry it.
func mediaBlocks(c *provider.Call) int {
	n := 0
	for _, m := range c.Request.Messages {
		for _, b := range m.Content {
			switch {
			case b.Image != nil, b.Document != nil, b.Video != nil, b.Audio != nil:
				n++
			case b.ToolResult != nil:
				n += len(b.ToolResult.Content)
			}
		}
	}
	return n
}
