package catalog

// contextWindows is each model's context window in tokens: the most prompt
// (input) tokens Bedrock accepts. Kept beside the model table, not in it,
// until the table becomes data (then it is a column).
//
// Sources:
//
//	[cards]   AWS model cards / "Supported foundation models" pages and the
//	          providers' own model pages (context length), read through
//	          issue threads, not live: weak for individual figures.
//	[probe]   NousResearch/hermes-agent #31277 (2026-08-30): oversized prompts
//	          against live Bedrock report the model's real maximum —
//	          claude-sonnet-4-6 and claude-opus-4-6 1,000,000 without any beta;
//	          #98726/#106492: Llama 4 Maverick 1,048,576, Scout about 3.5M.
//	[strands] strands-agents/harness-sdk #1663: Opus 4.6 "prompt is too long:
//	          903884 tokens > 200000 maximum" before the 1M window went GA.
var contextWindows = map[string]int{
	// Claude: 200K [cards]; 4.6 models 1M since 2026-04-30 [probe].
	"anthropic.claude-3-haiku-20240307-v1:0":    200_000,
	"anthropic.claude-3-sonnet-20240229-v1:0":   200_000,
	"anthropic.claude-3-opus-20240229-v1:0":     200_000,
	"anthropic.claude-3-5-sonnet-20240620-v1:0": 200_000,
	"anthropic.claude-3-5-sonnet-20241022-v2:0": 200_000,
	"anthropic.claude-3-5-haiku-20241022-v1:0":  200_000,
	"anthropic.claude-3-7-sonnet-20250219-v1:0": 200_000,
	"anthropic.claude-sonnet-4-20250514-v1:0":   200_000,
	"anthropic.claude-opus-4-20250514-v1:0":     200_000,
	"anthropic.claude-opus-4-1-20250805-v1:0":   200_000,
	"anthropic.claude-sonnet-4-5-20250929-v1:0": 200_000,
	"anthropic.claude-haiku-4-5-20251001-v1:0":  200_000,
	"anthropic.claude-opus-4-5-20251101-v1:0":   200_000,
	"anthropic.claude-sonnet-4-6":               1_000_000,
	"anthropic.claude-opus-4-6-v1":              1_000_000,
	"anthropic.claude-v2:1":                     200_000,
	"anthropic.claude-instant-v1":               100_000,

	// Amazon Nova [cards]: Micro 128K, Lite/Pro 300K, Premier 1M, Nova 2 Lite 1M.
	"amazon.nova-micro-v1:0":   128_000,
	"amazon.nova-lite-v1:0":    300_000,
	"amazon.nova-pro-v1:0":     300_000,
	"amazon.nova-premier-v1:0": 1_000_000,
	"amazon.nova-2-lite-v1:0":  1_000_000,

	// Titan Text [cards]: Express 8K, Lite 4K, Premier 32K.
	"amazon.titan-text-express-v1":   8_000,
	"amazon.titan-text-lite-v1":      4_000,
	"amazon.titan-text-premier-v1:0": 32_000,

	// AI21 [cards]: Jamba 1.5 256K; Jurassic-2 8,191.
	"ai21.jamba-1-5-large-v1:0": 256_000,
	"ai21.jamba-1-5-mini-v1:0":  256_000,
	"ai21.j2-ultra-v1":          8_191,

	// Cohere [cards]: Command R/R+ 128K; Command (Light) 4K.
	"cohere.command-r-v1:0":         128_000,
	"cohere.command-r-plus-v1:0":    128_000,
	"cohere.command-text-v14":       4_000,
	"cohere.command-light-text-v14": 4_000,

	// Meta [cards]: Llama 3 8K; 3.1–3.3 128K; Llama 4 [probe].
	"meta.llama3-8b-instruct-v1:0":           8_000,
	"meta.llama3-70b-instruct-v1:0":          8_000,
	"meta.llama3-1-8b-instruct-v1:0":         128_000,
	"meta.llama3-1-70b-instruct-v1:0":        128_000,
	"meta.llama3-1-405b-instruct-v1:0":       128_000,
	"meta.llama3-2-11b-instruct-v1:0":        128_000,
	"meta.llama3-2-90b-instruct-v1:0":        128_000,
	"meta.llama3-2-1b-instruct-v1:0":         128_000,
	"meta.llama3-2-3b-instruct-v1:0":         128_000,
	"meta.llama3-3-70b-instruct-v1:0":        128_000,
	"meta.llama4-maverick-17b-instruct-v1:0": 1_048_576,
	"meta.llama4-scout-17b-instruct-v1:0":    3_500_000,

	// Mistral [cards]: 7B, Mixtral, Large (24.02), Small 32K; Large 2 and Pixtral 128K.
	"mistral.mistral-7b-instruct-v0:2":   32_000,
	"mistral.mixtral-8x7b-instruct-v0:1": 32_000,
	"mistral.mistral-large-2402-v1:0":    32_000,
	"mistral.mistral-large-2407-v1:0":    128_000,
	"mistral.mistral-small-2402-v1:0":    32_000,
	"mistral.pixtral-large-2502-v1:0":    128_000,

	// Others [cards].
	"deepseek.r1-v1:0":                128_000,
	"deepseek.v3-v1:0":                128_000,
	"writer.palmyra-x5-v1:0":          1_000_000,
	"qwen.qwen3-coder-480b-a35b-v1:0": 262_144,
	"qwen.qwen3-235b-a22b-2507-v1:0":  262_144,
	"openai.gpt-oss-120b-1:0":         128_000,
	"openai.gpt-oss-20b-1:0":          128_000,
}

// ContextWindow is the model's context window in tokens; 0 means unknown
// (not enforced).
func (m Model) ContextWindow() int {
	if m.ContextTokens > 0 {
		return m.ContextTokens
	}
	return contextWindows[m.ID]
}

// CheckContextWindow refuses a prompt longer than the model's context
// window, as Bedrock does before any inference ([Obs] continuedev/continue
// #9592 and #6005, aws-samples/bedrock-chat #95: "The model returned the
// following errors: Input is too long for requested model."; issue 16: a
// 1.2M-token prompt was answered instead). upperBound is a cheap bound on
// the prompt's tokens (e.g. its size in bytes plus the media estimates);
// count, the exact offline count, runs only when the bound exceeds the
// window, so ordinary requests are not tokenised for this check.
func CheckContextWindow(m Model, upperBound int, count func() int) error {
	window := m.ContextWindow()
	if window <= 0 || upperBound <= window {
		return nil
	}
	n := count()
	if n <= window {
		return nil
	}
	return invalid("The model returned the following errors: Input is too long for requested model. (The prompt counts about %d tokens; %s accepts at most %d. Shorten the conversation or its attachments and try again.)", n, m.ID, window)
}
