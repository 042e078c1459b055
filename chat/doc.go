// Package chat is a Go client for Amazon Bedrock's Converse API with Spring
// AI's Bedrock Converse feature set: options with defaults, a fluent and
// immutable prompt builder, tools from Go functions with an automatic tool
// loop, streaming, retries, prompt-cache strategies, media and chat memory.
// It sits on the official aws-sdk-go-v2 bedrockruntime client, so it works
// against AWS itself and against a converse server alike.
//
// Quick start:
//
//	s, _ := chat.SettingsFromEnv()        // CONVERSE_REGION, CONVERSE_ENDPOINT, … (see Settings)
//	client, err := chat.New(ctx,
//		chat.WithSettings(s),
//		chat.WithOptions(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0"}))
//	if err != nil { return err }
//	defer client.Close()
//	resp, err := client.Prompt().System("Answer briefly.").User("Tell me a joke").Call(ctx)
//	if err != nil { return err }
//	fmt.Println(resp.Text, resp.Usage.OutputTokens)
//	for chunk, err := range client.Prompt("Tell me a joke").Stream(ctx) { … }
//
// Defaults follow Spring AI: region us-east-1, whole-call timeout 5m,
// connection timeout 5s, connection-acquisition timeout 30s, stream read
// timeout 30s, temperature 0.8, maxTokens 500. Client defaults merge field
// by field with per-call Options.
//
// Authentication: requests are SigV4-signed with Settings' static keys or
// the AWS default chain (environment, profiles, SSO, roles); with a Bedrock
// API key (Settings.APIKey, CONVERSE_API_KEY or the SDK's
// AWS_BEARER_TOKEN_BEDROCK) they carry "Authorization: Bearer" instead,
// over HTTPS. Settings.CABundle trusts a private CA, such as the
// development certificate of a converse server.
//
// Tools: [NewTool] infers the input schema from a Go type; Call and Stream
// run the model's tool calls (one turn's calls in parallel) and send the
// results back until the model answers, at most Options.MaxToolRounds
// rounds.
//
// Errors from Bedrock keep their SDK types: use errors.As with
// *types.ValidationException, *types.ThrottlingException and so on.
// Transient errors are retried first by the SDK's standard retryer (see
// [Retry]).
//
// Guardrails, structured output and service tiers: Options.Guardrail
// applies a Bedrock guardrail ([GuardText], [Prompt.GuardedUser] and
// [Prompt.GuardedSystem] mark the text it assesses; Response.Guardrail is
// its trace, and a blocked answer is a Response whose
// GuardrailIntervened is true, not an error); [Entity] asks for JSON
// valid against a Go type's schema and decodes it; Options.ServiceTier
// and Options.PerformanceLatency pass through, and the response echoes
// them.
package chat
