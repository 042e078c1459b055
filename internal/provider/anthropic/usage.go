package anthropic

import "github.com/conversekit/converse/internal/wire"

// apiUsage is the usage object of a message, of message_start and of
// message_delta. Pointers tell "absent" from zero, so a message_delta that
// repeats only output_tokens does not erase message_start's input counts.
type apiUsage struct {
	InputTokens              *int           `json:"input_tokens"`
	OutputTokens             *int           `json:"output_tokens"`
	CacheCreationInputTokens *int           `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int           `json:"cache_read_input_tokens"`
	CacheCreation            *cacheCreation `json:"cache_creation"`
}

type cacheCreation struct {
	Ephemeral5m *int `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h *int `json:"ephemeral_1h_input_tokens"`
}

// merge overlays the members later sets (message_delta's counts are
// cumulative, so the later value wins).
func (u *apiUsage) merge(later *apiUsage) {
	if later == nil {
		return
	}
	set := func(dst **int, src *int) {
		if src != nil {
			*dst = src
		}
	}
	set(&u.InputTokens, later.InputTokens)
	set(&u.OutputTokens, later.OutputTokens)
	set(&u.CacheCreationInputTokens, later.CacheCreationInputTokens)
	set(&u.CacheReadInputTokens, later.CacheReadInputTokens)
	if later.CacheCreation != nil {
		u.CacheCreation = later.CacheCreation
	}
}

func val(p *int) int {
	if p == nil || *p < 0 {
		return 0
	}
	return *p
}

// convertUsage maps Anthropic usage to Bedrock's, which for Claude have the
// same split: input_tokens already excludes cached tokens, as inputTokens
// does, so inputTokens = input_tokens, cacheReadInputTokens =
// cache_read_input_tokens, cacheWriteInputTokens =
// cache_creation_input_tokens (both always present, as Bedrock reports
// them for Claude, zero included). cacheDetails splits the write by TTL
// from cache_creation when Anthropic sent the split and something was
// written, 1h before 5m as Bedrock documents. totalTokens counts all input,
// cached or not, plus output.
func convertUsage(u *apiUsage) *wire.TokenUsage {
	if u == nil {
		u = &apiUsage{}
	}
	in, out := val(u.InputTokens), val(u.OutputTokens)
	read, write := val(u.CacheReadInputTokens), val(u.CacheCreationInputTokens)
	tu := &wire.TokenUsage{
		InputTokens:           in,
		OutputTokens:          out,
		TotalTokens:           in + read + write + out,
		CacheReadInputTokens:  wire.Ptr(read),
		CacheWriteInputTokens: wire.Ptr(write),
	}
	if c := u.CacheCreation; c != nil && write > 0 {
		if n := val(c.Ephemeral1h); n > 0 {
			tu.CacheDetails = append(tu.CacheDetails, wire.CacheDetail{TTL: wire.CacheTTL1h, InputTokens: n})
		}
		if n := val(c.Ephemeral5m); n > 0 {
			tu.CacheDetails = append(tu.CacheDetails, wire.CacheDetail{TTL: wire.CacheTTL5m, InputTokens: n})
		}
	}
	return tu
}
