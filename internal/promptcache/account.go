package promptcache

import (
	"context"
	"fmt"
	"time"

	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Request is what Account needs to know about one Converse or
// ConverseStream call.
type Request struct {
	// ModelID names the cache namespace: caches are per model. Pass the
	// catalogue's base model ID so that "us.anthropic…", the plain ID and
	// an ARN of the same model share entries.
	ModelID string
	// Converse is the decoded, validated request.
	Converse *wire.ConverseRequest
	// Count is tokens.Counter.Converse of the request: its Total and the
	// prefix size at each cache point, in the same order as Fingerprints.
	// A router may replace Total with the prompt tokens the backend itself
	// reported (an OpenAI-compatible prompt_tokens) and keep our checkpoint
	// sizes; inputTokens is then that total minus read and write, never
	// below zero.
	Count tokens.Count
	// MinTokens is the model's minimum prefix per checkpoint
	// (catalog.Model.MinCacheTokens); a checkpoint below it is not cached.
	MinTokens int
	// TTL1h says the model offers the 1h TTL (catalog.Model.CacheTTL1h).
	// Validation already rejects "ttl": "1h" elsewhere; without it a 1h
	// cache point is treated as 5m.
	TTL1h bool
	// Fingerprints, if not nil, are Fingerprints(ModelID, Converse)
	// computed earlier (for Balancer routing); nil means compute them here.
	Fingerprints []string
}

// Usage is the input side of Bedrock's TokenUsage for one call.
type Usage struct {
	// InputTokens are the prompt tokens neither read from nor written to
	// the cache.
	InputTokens int
	// CacheReadInputTokens is the longest registered prefix.
	CacheReadInputTokens int
	// CacheWriteInputTokens runs from the end of the read prefix to the
	// last cache point that meets the minimum.
	CacheWriteInputTokens int
	// CacheDetails splits the written tokens by TTL, 1h before 5m; nil when
	// nothing was written.
	CacheDetails []wire.CacheDetail
	// Cached says the request had at least one cache point, so Bedrock
	// reports cacheReadInputTokens and cacheWriteInputTokens (as zeros if
	// need be).
	Cached bool
}

// TokenUsage merges u with the output tokens from the provider into the
// wire shape. totalTokens counts every input token, cached or not, plus the
// output: the AWS user guide ("Prompt caching for faster model inference")
// defines total input as inputTokens + cacheReadInputTokens +
// cacheWriteInputTokens, and the recorded real streams show totalTokens
// including the cache counts (spec/clients.md, "Usage accounting" and "What
// the real Bedrock service sends"). Use the same call for Converse's usage
// and for the ConverseStream metadata event, so the two are identical.
func (u Usage) TokenUsage(outputTokens int) wire.TokenUsage {
	t := wire.TokenUsage{
		InputTokens:  u.InputTokens,
		OutputTokens: outputTokens,
		TotalTokens:  u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens + outputTokens,
		CacheDetails: u.CacheDetails,
	}
	if u.Cached || u.CacheReadInputTokens > 0 || u.CacheWriteInputTokens > 0 {
		t.CacheReadInputTokens = wire.Ptr(u.CacheReadInputTokens)
		t.CacheWriteInputTokens = wire.Ptr(u.CacheWriteInputTokens)
	}
	return t
}

// checkpoint is one cacheable cache point of a request.
type checkpoint struct {
	key    string
	tokens int
	ttl    time.Duration
}

// plan returns the request's fingerprints matched with its token counts,
// keeping only checkpoints that can be cached: a prefix of at least
// MinTokens (and not empty), and a size larger than the checkpoint before
// it (two cache points with nothing between them are one prefix).
func (in *Request) plan() ([]checkpoint, error) {
	keys := in.Fingerprints
	if keys == nil {
		keys = Fingerprints(in.ModelID, in.Converse)
	}
	if len(keys) != len(in.Count.Checkpoints) {
		return nil, fmt.Errorf("prompt cache: %d fingerprints for %d token checkpoints", len(keys), len(in.Count.Checkpoints))
	}
	var out []checkpoint
	for i, c := range in.Count.Checkpoints {
		if c.Tokens <= 0 || c.Tokens < in.MinTokens {
			continue // Bedrock: not cached, no error (digest §11.2)
		}
		ttl := TTL5m
		if c.TTL == wire.CacheTTL1h && in.TTL1h {
			ttl = TTL1h
		}
		if n := len(out); n > 0 && out[n-1].tokens >= c.Tokens {
			if out[n-1].key == keys[i] && ttl > out[n-1].ttl {
				out[n-1].ttl = ttl
			}
			continue
		}
		out = append(out, checkpoint{key: keys[i], tokens: c.Tokens, ttl: ttl})
	}
	return out, nil
}

// Account applies Bedrock's prompt-cache rule to one call, for backends
// whose cache our registry is (OpenAI-compatible servers, the built-in
// model):
//
//   - the longest cacheable prefix found in reg is read: cacheReadInputTokens
//     is its size, and its lifetime restarts;
//   - every cacheable checkpoint after it is registered, and the tokens from
//     the read prefix to the last of them are written (cacheWriteInputTokens),
//     split by the TTL of the checkpoint that ends each segment in
//     cacheDetails;
//   - the rest of the prompt is inputTokens.
//
// Call it once the provider has answered (a failed call writes nothing),
// before the response or the stream's metadata event is sent.
func Account(ctx context.Context, reg Registry, in Request) (Usage, error) {
	cps, err := in.plan()
	if err != nil {
		return Usage{}, err
	}
	u := Usage{Cached: len(in.Count.Checkpoints) > 0}
	if len(cps) == 0 {
		u.InputTokens = in.Count.Total
		return u, nil
	}
	keys := make([]string, len(cps))
	for i, c := range cps {
		keys[i] = c.key
	}
	hits, err := reg.Lookup(ctx, keys)
	if err != nil {
		return Usage{}, err
	}
	read := -1
	for i := len(hits) - 1; i >= 0; i-- {
		if hits[i] {
			read = i
			break
		}
	}
	if read >= 0 {
		u.CacheReadInputTokens = cps[read].tokens
	}
	var writes []Entry
	var w1h, w5m int
	prev := u.CacheReadInputTokens
	for _, c := range cps[read+1:] {
		writes = append(writes, Entry{Key: c.key, TTL: c.ttl})
		if c.ttl == TTL1h {
			w1h += c.tokens - prev
		} else {
			w5m += c.tokens - prev
		}
		prev = c.tokens
	}
	if len(writes) > 0 {
		if err := reg.Store(ctx, writes); err != nil {
			return Usage{}, err
		}
	}
	u.CacheWriteInputTokens = w1h + w5m
	u.CacheDetails = cacheDetails(w1h, w5m)
	// Never negative, should a caller put a backend's own, smaller prompt
	// count into Count.Total (see Request.Count).
	u.InputTokens = max(0, in.Count.Total-u.CacheReadInputTokens-u.CacheWriteInputTokens)
	return u, nil
}

// cacheDetails lists written tokens per TTL, 1h before 5m as the API model
// documents for TokenUsage.cacheDetails, leaving out a TTL with nothing
// written.
func cacheDetails(w1h, w5m int) []wire.CacheDetail {
	var d []wire.CacheDetail
	if w1h > 0 {
		d = append(d, wire.CacheDetail{TTL: wire.CacheTTL1h, InputTokens: w1h})
	}
	if w5m > 0 {
		d = append(d, wire.CacheDetail{TTL: wire.CacheTTL5m, InputTokens: w5m})
	}
	return d
}

// Register records the cacheable prefixes of a call whose backend reported
// its own cache numbers (Anthropic's cache_read_input_tokens and
// cache_creation_input_tokens; Bedrock itself). Those numbers are what the
// backend really did, so they win and Register computes none; but after the
// call every cacheable prefix is in that backend's cache, and registering
// them keeps our registry true for later requests of the same model that
// are served by a backend whose cache our registry stands for (a fallback
// route, or an OpenAI-compatible pool behind the same model ID). The cost is
// one pipelined write; a stale entry can at worst report a read that the
// other backend did not get from its own prefix cache, the same error any
// registry-based estimate makes.
func Register(ctx context.Context, reg Registry, in Request) error {
	cps, err := in.plan()
	if err != nil {
		return err
	}
	if len(cps) == 0 {
		return nil
	}
	entries := make([]Entry, len(cps))
	for i, c := range cps {
		entries[i] = Entry{Key: c.key, TTL: c.ttl}
	}
	return reg.Store(ctx, entries)
}
