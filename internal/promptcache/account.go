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
	// With LookbackBlocks on they are computed again anyway, in the pass
	// that hashes the block boundaries.
	Fingerprints []string
	// LookbackBlocks turns on Claude's "simplified" cache mode: a lookup
	// also tries the block boundaries up to this many blocks before each
	// cache point, and the longest registered prefix found anywhere is
	// read, so a conversation whose one cache point moves forward a turn
	// per call reads the prefix the previous call wrote (digest §11.2: "the
	// service looks back about 20 content blocks"). Only cache points are
	// ever written. 0 turns it off; Claude models use 20. It needs
	// Count.Blocks: count with tokens.Counter.ConverseBlocks.
	LookbackBlocks int
	// MaxCachedTokens caps the cacheable prefix: a checkpoint whose prefix
	// is larger is not cached (nor looked up), without error, as for Nova
	// models, which cache "at most 20K tokens in total" (digest §11.2).
	// 0 means no cap.
	MaxCachedTokens int
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

// checkpoint is one cacheable prefix of a request: a cache point, or, with
// LookbackBlocks, a block boundary before one.
type checkpoint struct {
	key    string
	tokens int
	ttl    time.Duration
	// lookback marks a block boundary: it may be read, never written.
	lookback bool
}

// cacheable says a prefix of n tokens can be cached: not empty, at least
// MinTokens, at most MaxCachedTokens (when set).
func (in *Request) cacheable(n int) bool {
	return n > 0 && n >= in.MinTokens && (in.MaxCachedTokens <= 0 || n <= in.MaxCachedTokens)
}

// plan returns the request's cacheable prefixes in prefix order: its cache
// points matched with their token counts, keeping only checkpoints that can
// be cached (see cacheable) and larger than the cache point before them
// (two cache points with nothing between them are one prefix); with
// LookbackBlocks, the cacheable block boundaries before them too.
func (in *Request) plan() ([]checkpoint, error) {
	if in.LookbackBlocks > 0 && len(in.Count.Checkpoints) > 0 {
		return in.planLookback()
	}
	keys := in.Fingerprints
	if keys == nil {
		keys = Fingerprints(in.ModelID, in.Converse)
	}
	if len(keys) != len(in.Count.Checkpoints) {
		return nil, fmt.Errorf("prompt cache: %d fingerprints for %d token checkpoints", len(keys), len(in.Count.Checkpoints))
	}
	var out []checkpoint
	for i, c := range in.Count.Checkpoints {
		out = in.addCheckpoint(out, keys[i], c)
	}
	return out, nil
}

// planLookback is plan with the block boundaries LookbackBlocks reaches.
func (in *Request) planLookback() ([]checkpoint, error) {
	pts, blocks := lookbackPoints(in.ModelID, in.Converse, in.LookbackBlocks)
	if len(in.Count.Blocks) != blocks {
		return nil, fmt.Errorf("prompt cache: %d block counts for %d blocks (count with tokens.Counter.ConverseBlocks)", len(in.Count.Blocks), blocks)
	}
	var out []checkpoint
	i := 0
	for _, p := range pts {
		if p.block < 0 {
			if i >= len(in.Count.Checkpoints) {
				return nil, fmt.Errorf("prompt cache: more fingerprints than the %d token checkpoints", len(in.Count.Checkpoints))
			}
			// A cache point right after a block has that boundary's key;
			// the boundary adds nothing to look up.
			if n := len(out); n > 0 && out[n-1].lookback && out[n-1].key == p.key {
				out = out[:n-1]
			}
			out = in.addCheckpoint(out, p.key, in.Count.Checkpoints[i])
			i++
			continue
		}
		n := in.Count.Blocks[p.block-1]
		if !in.cacheable(n) {
			continue
		}
		out = append(out, checkpoint{key: p.key, tokens: n, lookback: true})
	}
	if i != len(in.Count.Checkpoints) {
		return nil, fmt.Errorf("prompt cache: %d fingerprints for %d token checkpoints", i, len(in.Count.Checkpoints))
	}
	return out, nil
}

// addCheckpoint appends cache point c with key to out if it can be cached
// and is larger than the last cache point in out; a repeat of that cache
// point only raises its TTL.
func (in *Request) addCheckpoint(out []checkpoint, key string, c tokens.Checkpoint) []checkpoint {
	if !in.cacheable(c.Tokens) {
		return out // Bedrock: not cached, no error (digest §11.2)
	}
	ttl := TTL5m
	if c.TTL == wire.CacheTTL1h && in.TTL1h {
		ttl = TTL1h
	}
	for n := len(out) - 1; n >= 0; n-- {
		last := &out[n]
		if last.lookback {
			continue
		}
		if last.tokens >= c.Tokens {
			if last.key == key && ttl > last.ttl {
				last.ttl = ttl
			}
			return out
		}
		break
	}
	return append(out, checkpoint{key: key, tokens: c.Tokens, ttl: ttl})
}

// Account applies Bedrock's prompt-cache rule to one call, for backends
// whose cache our registry is (OpenAI-compatible servers, the built-in
// model):
//
//   - the longest cacheable prefix found in reg is read: cacheReadInputTokens
//     is its size, and its lifetime restarts; with LookbackBlocks the block
//     boundaries before each cache point are candidates too;
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
		if c.lookback {
			continue // only cache points write
		}
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
	entries := make([]Entry, 0, len(cps))
	for _, c := range cps {
		if !c.lookback {
			entries = append(entries, Entry{Key: c.key, TTL: c.ttl})
		}
	}
	return reg.Store(ctx, entries)
}
