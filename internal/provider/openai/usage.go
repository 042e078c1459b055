package openai

import "github.com/conversekit/converse/internal/wire"

// chatUsage is the usage object of a chat completion or of the final stream
// chunk. DeepSeek reports cache hits in its own member.
type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	PromptCacheHitTokens int `json:"prompt_cache_hit_tokens"`
}

// convertUsage maps OpenAI usage to Bedrock's. OpenAI counts cached prompt
// tokens inside prompt_tokens; Bedrock reports them beside inputTokens, so
// inputTokens = prompt_tokens − cached and cacheReadInputTokens = cached
// (set only when there were any). totalTokens is recomputed from the parts
// rather than copied, since some servers (Gemini) count thoughts in it.
// A nil usage (a server that ignores stream_options) is all zeros.
func convertUsage(u *chatUsage) *wire.TokenUsage {
	if u == nil {
		return &wire.TokenUsage{}
	}
	cached := u.PromptCacheHitTokens
	if u.PromptTokensDetails != nil && u.PromptTokensDetails.CachedTokens > 0 {
		cached = u.PromptTokensDetails.CachedTokens
	}
	cached = max(0, min(cached, u.PromptTokens))
	out := &wire.TokenUsage{
		InputTokens:  u.PromptTokens - cached,
		OutputTokens: max(0, u.CompletionTokens),
	}
	out.InputTokens = max(0, out.InputTokens)
	if cached > 0 {
		out.CacheReadInputTokens = wire.Ptr(cached)
	}
	out.TotalTokens = out.InputTokens + cached + out.OutputTokens
	return out
}
