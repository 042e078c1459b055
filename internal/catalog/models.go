package catalog

// Sources cited below:
//
//	[features] AWS User Guide "Supported models and model features" (Converse API),
//	           docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html,
//	           as linked from run-llama/llama_index #19655; read through issue threads, not live.
//	[ids]      AWS User Guide "Amazon Bedrock base model IDs",
//	           docs.aws.amazon.com/bedrock/latest/userguide/model-ids.html.
//	[cache]    AWS User Guide "Prompt caching for faster model inference", section
//	           "Supported models, Regions, and explicit caching limits",
//	           docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html#prompt-caching-models
//	           (current copy): minimum tokens per cache checkpoint, maximum 4 checkpoints,
//	           supported TTL, fields that accept checkpoints; ~20-block lookback for Claude.
//	           Rows: Opus 4.5 4,096 (5m, 1h); Opus 4.6 4,096 (5m, 1h); Opus 4.7 4,096 (5m, 1h);
//	           Opus 4.8 1,024 (5m, 1h); Opus 5 512 (5m, 1h); Sonnet 5 1,024 (5m, 1h);
//	           Sonnet 4.6 1,024 (5m, 1h); Sonnet 4.5 1,024 (5m, 1h); 3.7 Sonnet 1,024 (5m);
//	           3.5 Sonnet v2 1,024 (5m, preview); Haiku 4.5 4,096 (5m, 1h);
//	           Fable 5 / 5.1 512 (5m, 1h).
//	[cache-2025] the same section as published in 2025, before models moved to model
//	           cards: Opus 4.1 1,024; Opus 4 1,024; Sonnet 4 1,024; 3.5 Haiku 2,048;
//	           Nova Micro / Lite / Pro / Premier "1K", at most 20K tokens cacheable,
//	           checkpoints in system and messages only. (An early-2026 copy listed
//	           Sonnet 4.5 at 4,096; the current page and the 2025 copy say 1,024.)
//	[seed]     shared seed 002 (Spring AI docs): Nova rejects tool cache points.
//	[obs]      issue threads and SDK sources named inline.
//
// Maximum output tokens are the model cards' figures (weak: not re-read here).

func claude(id, name string, minCache, maxOut int, ttl1h, reasoning bool) Model {
	cacheSource := "no prompt caching ([cache] has no row)"
	if minCache > 0 {
		cacheSource = "[cache] minimum tokens, TTL, 20-block lookback"
	}
	return Model{
		ID: id, Provider: "anthropic", Family: "claude", Name: name,
		Streaming: true, Tools: true, StreamingTools: true, ToolChoiceAny: true, ToolChoiceTool: true,
		ToolResultStatus: true, // API reference ToolResultBlock.status: Claude 3
		Images:           true, Documents: true, Reasoning: reasoning,
		CacheSystem: minCache > 0, CacheMessages: minCache > 0, CacheTools: minCache > 0,
		MinCacheTokens: minCache, CacheTTL1h: ttl1h, MaxOutputTokens: maxOut,
		// [cache] Claude's simplified mode looks back about 20 content
		// blocks before a checkpoint for the longest cached prefix.
		CacheLookbackBlocks: lookback(minCache),
		Source:              "[features] Anthropic Claude rows; [ids]; " + cacheSource,
	}
}

// claudeRow is a Claude model and the [cache] row its cache figures come
// from.
func claudeRow(id, name string, minCache, maxOut int, ttl1h, reasoning bool, cacheSource string) Model {
	m := claude(id, name, minCache, maxOut, ttl1h, reasoning)
	m.Source = "[features] Anthropic Claude rows; [ids]; " + cacheSource
	return m
}

// lookback is Claude's cache lookback window, for models that cache.
func lookback(minCache int) int {
	if minCache == 0 {
		return 0
	}
	return 20
}

func nova(id, name string, images, video, docs bool, maxOut int) Model {
	return Model{
		ID: id, Provider: "amazon", Family: "nova", Name: name,
		// [features]: Nova supports tool use with toolChoice auto; any/tool
		// rejected per bedrock-access-gateway #92 (toolChoice.any).
		Streaming: true, Tools: true, StreamingTools: true,
		ToolResultStatus: true, SchemaTopLevelComposition: true, // not observed refused
		Images: images, Documents: docs, Video: video,
		// [cache-2025] + [seed]: system and messages only, no tool cache
		// points, "1K" tokens per checkpoint. Nova 2 is not in the table
		// (its model cards list explicit caching); the Nova figures are
		// assumed for it.
		CacheSystem: true, CacheMessages: true, MinCacheTokens: 1000,
		// [cache-2025] Nova caches at most 20K tokens of a prompt in total.
		MaxCachedTokens: 20_000,
		MaxOutputTokens: maxOut,
		Source:          "[features] Amazon Nova rows; [cache-2025] Nova: 1K, 20K total, system and messages; [seed] no tool caching; [obs] bedrock-access-gateway #92",
	}
}

func textOnly(provider, family, id, name string, tools, streamTools bool, maxOut int, src string) Model {
	return Model{
		ID: id, Provider: provider, Family: family, Name: name,
		Streaming: true, Tools: tools, StreamingTools: streamTools, MaxOutputTokens: maxOut,
		// langchain-aws #146: Meta, Mistral, Cohere accept toolResult.status;
		// senpi #1947: non-Anthropic models accept a top-level oneOf.
		ToolResultStatus: true, SchemaTopLevelComposition: true,
		Source: src,
	}
}

var builtin = []Model{
	// Anthropic Claude. [features]: tools, toolChoice any/tool, images, documents.
	claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 0, 4096, false, false),
	claude("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", 0, 4096, false, false),
	claude("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", 0, 4096, false, false),
	claude("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", 0, 8192, false, false),
	claudeRow("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", 1024, 8192, false, false, "[cache] Claude 3.5 Sonnet v2: 1,024, 5m (preview)"),
	claudeRow("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", 2048, 8192, false, false, "[cache-2025] Claude 3.5 Haiku: 2,048"),
	claudeRow("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", 1024, 64000, false, true, "[cache] Claude 3.7 Sonnet: 1,024, 5m"),
	claudeRow("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", 1024, 64000, false, true, "[cache-2025] Claude Sonnet 4: 1,024"),
	claudeRow("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", 1024, 32000, false, true, "[cache-2025] Claude Opus 4: 1,024"),
	claudeRow("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", 1024, 32000, false, true, "[cache-2025] Claude Opus 4.1: 1,024"),
	claudeRow("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", 1024, 64000, true, true, "[cache] Claude Sonnet 4.5: 1,024, 5m and 1h"),
	claudeRow("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", 4096, 64000, true, true, "[cache] Claude Haiku 4.5: 4,096, 5m and 1h"),
	claudeRow("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", 4096, 64000, true, true, "[cache] Claude Opus 4.5: 4,096, 5m and 1h"),
	// 4.6 and later IDs carry no date ([cache] table; forgecode #2644: "-v1"
	// without ":0" for Opus 4.6). SDKs default to them through the global
	// profile: strands-agents DEFAULT_BEDROCK_MODEL_ID is
	// "global.anthropic.claude-sonnet-4-6".
	claudeRow("anthropic.claude-sonnet-4-6", "Claude Sonnet 4.6", 1024, 64000, true, true, "[cache] Claude Sonnet 4.6: 1,024, 5m and 1h"),
	claudeRow("anthropic.claude-opus-4-6-v1", "Claude Opus 4.6", 4096, 128000, true, true, "[cache] Claude Opus 4.6: 4,096, 5m and 1h"),
	claudeRow("anthropic.claude-opus-4-7", "Claude Opus 4.7", 4096, 128000, true, true, "[cache] Claude Opus 4.7: 4,096, 5m and 1h (ID from the same table)"),
	claudeRow("anthropic.claude-opus-4-8", "Claude Opus 4.8", 1024, 128000, true, true, "[cache] Claude Opus 4.8: 1,024, 5m and 1h (ID from the same table)"),
	claudeRow("anthropic.claude-sonnet-5", "Claude Sonnet 5", 1024, 128000, true, true, "[cache] Claude Sonnet 5: 1,024, 5m and 1h (ID from the same table)"),
	claudeRow("anthropic.claude-opus-5", "Claude Opus 5", 512, 128000, true, true, "[cache] Claude Opus 5: 512, 5m and 1h (ID from the same table)"),
	// Older Claude text models: no images or documents on Converse [features].
	{ID: "anthropic.claude-v2:1", Provider: "anthropic", Family: "claude", Name: "Claude 2.1", Streaming: true, MaxOutputTokens: 4096, Source: "[features] Claude 2.x: no tools"},
	{ID: "anthropic.claude-instant-v1", Provider: "anthropic", Family: "claude", Name: "Claude Instant", Streaming: true, MaxOutputTokens: 4096, Source: "[features] Claude Instant: no tools"},

	// Amazon Nova. [features]: Micro text only; Lite/Pro images, video, documents.
	nova("amazon.nova-micro-v1:0", "Nova Micro", false, false, false, 10000),
	nova("amazon.nova-lite-v1:0", "Nova Lite", true, true, true, 10000),
	nova("amazon.nova-pro-v1:0", "Nova Pro", true, true, true, 10000),
	nova("amazon.nova-premier-v1:0", "Nova Premier", true, true, true, 32000),
	nova("amazon.nova-2-lite-v1:0", "Nova 2 Lite", true, true, true, 65000), // zeroclaw #8943 names Nova 2 Lite
	// Nova 2 Pro is in preview under a dated ID ([obs] LiteLLM's Bedrock
	// price list and SDK samples use amazon.nova-2-pro-preview-20251202-v1:0).
	nova("amazon.nova-2-pro-preview-20251202-v1:0", "Nova 2 Pro (Preview)", true, true, true, 65000),

	// Amazon Titan Text: no tools, no media [features].
	textOnly("amazon", "titan", "amazon.titan-text-express-v1", "Titan Text G1 - Express", false, false, 8192, "[features] Titan Text: no tools, no system prompt; [obs] langchain-aws #403 used it on Converse"),
	textOnly("amazon", "titan", "amazon.titan-text-lite-v1", "Titan Text G1 - Lite", false, false, 4096, "[features] Titan Text"),
	textOnly("amazon", "titan", "amazon.titan-text-premier-v1:0", "Titan Text Premier", false, false, 3072, "[features] Titan Text Premier"),

	// AI21. [features]: Jamba 1.5 supports tool use; Jurassic-2 has no tools.
	textOnly("ai21", "jamba", "ai21.jamba-1-5-large-v1:0", "Jamba 1.5 Large", true, true, 4096, "[features] AI21 Jamba 1.5"),
	textOnly("ai21", "jamba", "ai21.jamba-1-5-mini-v1:0", "Jamba 1.5 Mini", true, true, 4096, "[features] AI21 Jamba 1.5"),
	textOnly("ai21", "jurassic", "ai21.j2-ultra-v1", "Jurassic-2 Ultra", false, false, 8191, "[features] AI21 Jurassic-2: no chat tools"),

	// Cohere. [features]: Command R/R+ tools, not in streaming.
	textOnly("cohere", "command", "cohere.command-r-v1:0", "Command R", true, false, 4096, "[features] Cohere Command R: tool use, no streaming tool use"),
	textOnly("cohere", "command", "cohere.command-r-plus-v1:0", "Command R+", true, false, 4096, "[features] Cohere Command R+"),
	textOnly("cohere", "command", "cohere.command-text-v14", "Command", false, false, 4096, "[features] Cohere Command: no tools"),
	textOnly("cohere", "command", "cohere.command-light-text-v14", "Command Light", false, false, 4096, "[features] Cohere Command Light"),

	// Meta Llama. [features]: Llama 3.1+ tool use without streaming tool use
	// (llama_index #19655, obot #4101); Llama 4: pi #3739.
	textOnly("meta", "llama", "meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", false, false, 2048, "[features] Llama 3: no tools"),
	textOnly("meta", "llama", "meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", false, false, 2048, "[features] Llama 3: no tools"),
	textOnly("meta", "llama", "meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", true, false, 2048, "[features] Llama 3.1: tools, not streamed"),
	textOnly("meta", "llama", "meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", true, false, 2048, "[features] Llama 3.1"),
	textOnly("meta", "llama", "meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", true, false, 4096, "[features] Llama 3.1"),
	{ID: "meta.llama3-2-11b-instruct-v1:0", Provider: "meta", Family: "llama", Name: "Llama 3.2 11B Vision", Streaming: true, Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Images: true, MaxOutputTokens: 2048, Source: "[features] Llama 3.2 vision: images"},
	{ID: "meta.llama3-2-90b-instruct-v1:0", Provider: "meta", Family: "llama", Name: "Llama 3.2 90B Vision", Streaming: true, Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Images: true, MaxOutputTokens: 2048, Source: "[features] Llama 3.2 vision: images"},
	textOnly("meta", "llama", "meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", true, false, 2048, "[features] Llama 3.2"),
	textOnly("meta", "llama", "meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", true, false, 2048, "[features] Llama 3.2"),
	textOnly("meta", "llama", "meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", true, false, 2048, "[features] Llama 3.3; langchain-aws #355"),
	{ID: "meta.llama4-maverick-17b-instruct-v1:0", Provider: "meta", Family: "llama", Name: "Llama 4 Maverick", Streaming: true, Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Images: true, MaxOutputTokens: 8192, Source: "[obs] earendil-works/pi #3739: tools on Converse only"},
	{ID: "meta.llama4-scout-17b-instruct-v1:0", Provider: "meta", Family: "llama", Name: "Llama 4 Scout", Streaming: true, Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Images: true, MaxOutputTokens: 8192, Source: "[obs] earendil-works/pi #3739"},

	// Mistral. [features]: Large (2402) and Large 2 tool use; 7B/8x7B none.
	textOnly("mistral", "mistral", "mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", false, false, 8192, "[features] Mistral 7B: no system prompt, no tools"),
	textOnly("mistral", "mistral", "mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", false, false, 4096, "[features] Mixtral: no tools"),
	textOnly("mistral", "mistral", "mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", true, false, 8192, "[features] Mistral Large: tools, not streamed"),
	textOnly("mistral", "mistral", "mistral.mistral-large-2407-v1:0", "Mistral Large 2 (24.07)", true, false, 8192, "[features] Mistral Large 2"),
	textOnly("mistral", "mistral", "mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)", true, false, 8192, "[features] Mistral Small"),
	{ID: "mistral.pixtral-large-2502-v1:0", Provider: "mistral", Family: "mistral", Name: "Pixtral Large", Streaming: true, Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, StreamingTools: true, Images: true, Documents: true, MaxOutputTokens: 8192, Source: "[features] Pixtral Large"},

	// DeepSeek. [features]: R1 reasoning, no tools (obot #4101 mentions DeepSeek without streamed tools).
	{ID: "deepseek.r1-v1:0", Provider: "deepseek", Family: "deepseek", Name: "DeepSeek-R1", Streaming: true, Reasoning: true, MaxOutputTokens: 32768, Source: "[features] DeepSeek-R1: no tools"},
	textOnly("deepseek", "deepseek", "deepseek.v3-v1:0", "DeepSeek-V3.1", true, false, 8192, "[features] DeepSeek-V3.1"),

	// Others seen in reports.
	{ID: "writer.palmyra-x5-v1:0", Provider: "writer", Family: "palmyra", Name: "Palmyra X5", Streaming: true, Tools: true, SchemaTopLevelComposition: true, MaxOutputTokens: 8192,
		Source: "[obs] strands harness-sdk #393: tools not in streaming mode, toolResult.status refused; #554"},
	textOnly("qwen", "qwen", "qwen.qwen3-coder-480b-a35b-v1:0", "Qwen3 Coder 480B", true, true, 65536, "[obs] earendil-works/pi #4993 (model ID)"),
	textOnly("qwen", "qwen", "qwen.qwen3-235b-a22b-2507-v1:0", "Qwen3 235B", true, true, 65536, "[obs] earendil-works/pi #4993 (model ID)"),
	{ID: "openai.gpt-oss-120b-1:0", Provider: "openai", Family: "gpt-oss", Name: "gpt-oss-120b", Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Reasoning: true, MaxOutputTokens: 32768, Source: "[obs] llama_index #19655, bedrock-client-for-mac #112: not streamable"},
	{ID: "openai.gpt-oss-20b-1:0", Provider: "openai", Family: "gpt-oss", Name: "gpt-oss-20b", Tools: true, ToolResultStatus: true, SchemaTopLevelComposition: true, Reasoning: true, MaxOutputTokens: 32768, Source: "[obs] llama_index #19655"},
}
