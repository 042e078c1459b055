// Package chat is a Go client for Amazon Bedrock's Converse API with Spring
// AI's Bedrock Converse feature set: options with defaults, a fluent and
// immutable prompt builder, tools from Go functions with an automatic tool
// loop, streaming, retries, prompt-cache strategies, media and chat memory.
// It sits on the official aws-sdk-go-v2 bedrockruntime client, so it works
// against AWS itself and against a converse server alike.
//
// Quick start:
//
//	s, _ := chat.SettingsFromEnv()        // the AWS_* variables, CONVERSE_* overriding them (see Environment)
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
// # Environment
//
// One set of variables configures every program built on chat ([SettingsFromEnv]
// and [OptionsFromEnv]; converse chat; examples/generate). The standard AWS
// variables work as in any AWS SDK, through the SDK's configuration chain:
//
//	AWS_REGION (or AWS_DEFAULT_REGION)           the region (default us-east-1)
//	AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,    credentials, and the rest of the
//	AWS_SESSION_TOKEN, AWS_PROFILE               default chain (SSO, roles, …)
//	AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE where the profiles are
//	AWS_ENDPOINT_URL_BEDROCK_RUNTIME             the endpoint, e.g. http://127.0.0.1:8080
//	(or AWS_ENDPOINT_URL)                        for converse serve (default: AWS itself)
//	AWS_CA_BUNDLE                                a PEM file of certificate authorities to trust
//	AWS_BEARER_TOKEN_BEDROCK                     a Bedrock API key
//
// A CONVERSE_* variable, when set, overrides its AWS counterpart:
//
//	CONVERSE_REGION                              AWS_REGION
//	CONVERSE_ENDPOINT                            AWS_ENDPOINT_URL_BEDROCK_RUNTIME
//	CONVERSE_ACCESS_KEY, CONVERSE_SECRET_KEY     AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (both or neither)
//	CONVERSE_SESSION_TOKEN                       AWS_SESSION_TOKEN (with the two above)
//	CONVERSE_PROFILE_NAME                        AWS_PROFILE
//	CONVERSE_PROFILE_CONFIGURATION_PATH          AWS_CONFIG_FILE
//	CONVERSE_PROFILE_CREDENTIALS_PATH            AWS_SHARED_CREDENTIALS_FILE
//	CONVERSE_CA_BUNDLE                           AWS_CA_BUNDLE
//	CONVERSE_API_KEY                             AWS_BEARER_TOKEN_BEDROCK
//
// and these have no AWS counterpart (the spring.ai.bedrock.* properties; see
// [Settings] and [Options] for defaults):
//
//	CONVERSE_TIMEOUT, CONVERSE_CONNECTION_TIMEOUT, CONVERSE_CONNECTION_ACQUISITION_TIMEOUT,
//	CONVERSE_ASYNC_READ_TIMEOUT (Go durations: 30s, 5m), CONVERSE_MAX_CONNECTIONS,
//	CONVERSE_CHAT_OPTIONS_MODEL, CONVERSE_CHAT_OPTIONS_TEMPERATURE, CONVERSE_CHAT_OPTIONS_TOP_P,
//	CONVERSE_CHAT_OPTIONS_TOP_K, CONVERSE_CHAT_OPTIONS_MAX_TOKENS
//
// A Bedrock API key, from either variable, wins over access keys from any
// variable, and is sent over HTTPS only.
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
