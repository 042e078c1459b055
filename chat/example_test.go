package chat_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/servertest"
)

// exampleServers are the converse servers the examples run against in
// `go test`, one per example so that each starts with an empty prompt
// cache; users point CONVERSE_ENDPOINT at `converse serve`, or leave it
// unset for AWS itself.
var exampleServers []*servertest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range exampleServers {
		if err := s.Stop(); err != nil {
			log.Print(err)
		}
	}
	os.Exit(code)
}

// newExampleClient reads CONVERSE_* settings and options, as a program
// would; under go test it talks to a fresh in-process converse.
func newExampleClient(ctx context.Context, opts ...chat.ClientOption) *chat.Client {
	return newExampleClientOf(ctx, servertest.Options{}, opts...)
}

// newGuardedExampleClient is newExampleClient against a converse that
// knows guardrail gr1 (what `converse serve` does with the guardrail in
// its YAML), with a scripted built-in model whose answers the guardrail
// checks.
func newGuardedExampleClient(ctx context.Context, opts ...chat.ClientOption) *chat.Client {
	set, err := guardrail.New([]guardrail.Config{{
		ID: "gr1", Version: "1",
		BlockedInputMessaging: "Sorry, I cannot help with that request.", BlockedOutputsMessaging: "Sorry, the answer was withheld.",
		Words: guardrail.WordPolicy{Words: []string{"blorp"}},
		SensitiveInformation: guardrail.SensitiveInformationPolicy{PIIEntities: []guardrail.PIIEntity{
			{Type: "EMAIL", Actions: guardrail.IO{Input: guardrail.Anonymize, Output: guardrail.Anonymize}},
		}},
		ContextualGrounding: []guardrail.GroundingFilter{{Type: "GROUNDING", Threshold: 0.5}, {Type: "RELEVANCE", Threshold: 0.3}},
	}}, guardrail.Options{})
	if err != nil {
		log.Fatal(err)
	}
	script, err := builtin.ParseScript([]byte(guardScript))
	if err != nil {
		log.Fatal(err)
	}
	return newExampleClientOf(ctx, servertest.Options{Guardrails: set, Builtin: builtin.Options{Script: script}}, opts...)
}

func newExampleClientOf(ctx context.Context, so servertest.Options, opts ...chat.ClientOption) *chat.Client {
	s, err := chat.SettingsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	if testing.Testing() {
		srv, err := servertest.Run(so, false)
		if err != nil {
			log.Fatal(err)
		}
		exampleServers = append(exampleServers, srv)
		s.Endpoint, s.AccessKey, s.SecretKey = srv.Endpoint, "test", "test"
	}
	o, err := chat.OptionsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := chat.New(ctx, append([]chat.ClientOption{chat.WithSettings(s), chat.WithOptions(o)}, opts...)...)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// The basic call. (The examples run against converse's built-in model,
// whose answers are deterministic.)
func Example() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	resp, err := client.Prompt("Tell me a joke").
		Options(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0"}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	fmt.Println(resp.StopReason)
	// Output:
	// Experts usually approach a joke by breaking it into smaller parts.
	// end_turn
}

type WeatherRequest struct {
	Location string `json:"location" jsonschema:"City or state name"`
}

// Runtime options with a tool, as the seed's BedrockChatOptions builder.
func Example_runtimeOptions() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	weather := chat.NewTool("getCurrentWeather",
		"Get the weather in location. Return temperature in 36°F or 36°C format. Use multi-turn if needed.",
		func(ctx context.Context, in WeatherRequest) (string, error) { return "30°C in " + in.Location, nil })
	resp, err := client.Prompt("What is current weather in Amsterdam?").
		Options(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0", Temperature: chat.Ptr[float32](0.6), MaxTokens: chat.Ptr(300)}).
		Tools(weather).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	// Output:
	// Based on the tool results: getCurrentWeather returned 30°C in Amsterdam.
}

// Tools from Go functions: the model's calls run automatically.
func ExampleNewTool() {
	ctx := context.Background()
	weather := chat.NewTool("weatherByLocation", "Get the weather in location",
		func(ctx context.Context, in WeatherRequest) (map[string]any, error) {
			return map[string]any{"location": in.Location, "temp": 12, "unit": "C"}, nil
		})
	client := newExampleClient(ctx, chat.WithTools(weather), chat.WithOptions(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0"}))
	defer client.Close()
	resp, err := client.Prompt("What's the weather like in Boston?").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(resp.ToolResults), "tool call:", resp.ToolResults[0].Call.Name)
	fmt.Println(resp.Text)
	// Output:
	// 1 tool call: weatherByLocation
	// Based on the tool results: weatherByLocation returned {"location":"Boston","temp":12,"unit":"C"}.
}

// Prompt caching with SYSTEM_ONLY and the cache metadata (the seed's usage
// example); the other strategies are CacheToolsOnly, CacheSystemAndTools
// (Claude only) and CacheConversationHistory.
func Example_cacheSystemOnly() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	// Claude 3.7 Sonnet caches prefixes of 1,024 tokens or more.
	largeSystemPrompt := strings.Repeat("You are an expert software architect specializing in distributed systems. ", 120)
	opts := chat.Options{
		Model:     "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
		Cache:     &chat.CacheOptions{Strategy: chat.CacheSystemOnly},
		MaxTokens: chat.Ptr(500),
	}
	for _, q := range []string{"What is microservices architecture?", "What are the benefits of event sourcing?"} {
		resp, err := client.Prompt().System(largeSystemPrompt).User(q).Options(opts).Call(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("cache write:", resp.Usage.CacheWriteInputTokens, "cache read:", resp.Usage.CacheReadInputTokens)
	}
	// Output:
	// cache write: 1325 cache read: 0
	// cache write: 0 cache read: 1325
}

// Tool definitions cached once across tenants (TOOLS_ONLY, Claude only).
func Example_cacheToolsOnly() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	weather := chat.NewTool("weather", "Weather in a city", func(ctx context.Context, in WeatherRequest) (string, error) { return "sunny", nil })
	resp, err := client.Prompt("What's the weather in San Francisco?").
		Tools(weather).
		Options(chat.Options{Model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheToolsOnly}}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	// Output:
	// Based on the tool results: weather returned sunny.
}

// Conversation history cached turn by turn, with chat memory.
func Example_cacheConversationHistory() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	memory := chat.NewWindowMemory(chat.DefaultWindow)
	counselor := client.Prompt().
		System("You are a personalized career counselor...").
		Memory(memory, "conversation-42").
		Options(chat.Options{Model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheConversationHistory}, MaxTokens: chat.Ptr(500)})
	for _, q := range []string{"What career advice would you give me?", "And for a second career?"} {
		resp, err := counselor.User(q).Call(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(strings.SplitAfter(resp.Text, ".")[0])
	}
	// Output:
	// Most questions about career advice come down to a trade-off between cost and benefit.
	// Clear names and small steps make a second career easier to follow.
}

// An image beside the question.
func Example_image() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	resp, err := client.Prompt().User("Explain what do you see on this picture?", chat.File("testdata/test.png")).
		Options(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0"}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StopReason, resp.Usage.InputTokens > 0)
	// Output:
	// end_turn true
}

// A video (Amazon Nova), from bytes or S3.
func Example_video() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	resp, err := client.Prompt().
		User("Explain what do you see in this video?", chat.VideoS3("s3://my-bucket/test.video.mp4", "")).
		Options(chat.Options{Model: "amazon.nova-pro-v1:0"}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StopReason)
	// Output:
	// end_turn
}

// A document to summarise.
func Example_document() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	resp, err := client.Prompt().
		User("You are a very professional document summarization specialist. Please summarize the given document.",
			chat.Document("Release notes", []byte("# converse 1.0\n\nFirst release: Converse, ConverseStream and CountTokens.\n"))).
		Options(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0"}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StopReason)
	// Output:
	// end_turn
}

// Streaming: text as it arrives, usage at the end.
func ExamplePrompt_Stream() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	var text strings.Builder
	for chunk, err := range client.Prompt("Tell me a joke").Options(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0"}).Stream(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		text.WriteString(chunk.Text) // print it as it comes in a real program
		if chunk.Usage != nil {
			fmt.Println(text.String())
			fmt.Println("output tokens > 0:", chunk.Usage.OutputTokens > 0)
		}
	}
	// Output:
	// Experts usually approach a joke by breaking it into smaller parts.
	// output tokens > 0: true
}

// Weather is the document ExampleEntity asks for.
type Weather struct {
	City         string `json:"city" jsonschema:"the city asked about"`
	TemperatureC int    `json:"temperatureC" jsonschema:"degrees Celsius"`
}

// Structured output: the answer as a Go value (Spring AI's
// .call().entity(Weather.class)). The type's JSON Schema goes to the model
// in outputConfig; the answer is checked against it and decoded.
func ExampleEntity() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	w, resp, err := chat.Entity[Weather](ctx, client.Prompt("What is the weather in Paris? It is 21 degrees and sunny.").
		Options(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0"}))
	if err != nil {
		log.Fatal(err) // a *chat.EntityError when the answer is not a Weather
	}
	fmt.Println(resp.Text)
	fmt.Println(w.City, w.TemperatureC)
	// Output:
	// {"city":"Paris","temperatureC":21}
	// Paris 21
}

// A guardrail for every call of a client: the prompt and the answer are
// assessed; an e-mail address in the answer is masked, and the trace says
// what was found. A blocked or masked call is an answer, not an error.
func ExampleGuardrailConfig() {
	ctx := context.Background()
	client := newGuardedExampleClient(ctx, chat.WithOptions(chat.Options{
		Model:     "anthropic.claude-3-haiku-20240307-v1:0",
		Guardrail: &chat.GuardrailConfig{Identifier: "gr1", Version: "1", Trace: types.GuardrailTraceEnabled},
	}))
	defer client.Close()
	resp, err := client.Prompt("Please say an email.").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	fmt.Println(resp.StopReason, resp.GuardrailIntervened(), resp.Metadata["guardrailActionReason"])
	pii := resp.Guardrail.OutputAssessments["gr1"][0].SensitiveInformationPolicy.PiiEntities[0]
	fmt.Println(pii.Type, pii.Action)
	resp, err = client.Prompt("Tell me about blorp.").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	// Output:
	// Write to {EMAIL} for details.
	// guardrail_intervened true Guardrail masked.
	// EMAIL ANONYMIZED
	// Sorry, I cannot help with that request.
}

// Guarded text for contextual grounding: the answer must be grounded in
// the source and relevant to the query, or the guardrail withholds it.
func ExampleGuardText() {
	ctx := context.Background()
	client := newGuardedExampleClient(ctx, chat.WithOptions(chat.Options{
		Model:     "anthropic.claude-3-haiku-20240307-v1:0",
		Guardrail: &chat.GuardrailConfig{Identifier: "gr1", Version: "1"},
	}))
	defer client.Close()
	source := chat.GuardText("The Eiffel Tower in Paris is 330 metres tall.", chat.QualifierGroundingSource)
	query := chat.GuardText("How tall is the Eiffel Tower?", chat.QualifierQuery)
	for _, q := range []string{"How tall is it?", "Go off topic."} {
		resp, err := client.Prompt().User(q, source, query).Call(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(resp.StopReason, resp.Text)
	}
	// Output:
	// end_turn The Eiffel Tower is 330 metres tall.
	// guardrail_intervened Sorry, the answer was withheld.
}

// Guarded user text: with guardContent in a request, the guardrail
// assesses only that, not the rest of the prompt.
func ExamplePrompt_GuardedUser() {
	ctx := context.Background()
	client := newGuardedExampleClient(ctx, chat.WithOptions(chat.Options{
		Model:     "anthropic.claude-3-haiku-20240307-v1:0",
		Guardrail: &chat.GuardrailConfig{Identifier: "gr1", Version: "1"},
	}))
	defer client.Close()
	resp, err := client.Prompt().System("Our product is called blorp.").GuardedUser("Tell me about blorp.").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
	// Output:
	// Sorry, I cannot help with that request.
}

// The processing tier (and latency-optimized inference) for a call; the
// response says which tier served it.
func Example_serviceTier() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	defer client.Close()
	resp, err := client.Prompt("Tell me a joke").
		Options(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0", ServiceTier: types.ServiceTierTypePriority, PerformanceLatency: types.PerformanceConfigLatencyOptimized}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.ServiceTier, resp.PerformanceLatency, resp.Metadata["serviceTier"])
	// Output:
	// priority optimized priority
}

// The retry policy: the SDK's standard retryer with Bedrock's transient
// exceptions, a retry quota shared by the client's calls, and the wait a
// throttled answer asks for (x-amz-retry-after). Here retries are off, so
// the second call within a quota of one request a minute shows the typed
// throttle.
func ExampleRetry() {
	ctx := context.Background()
	client := newExampleClientOf(ctx, servertest.Options{Quotas: ratelimit.Options{Rules: []ratelimit.Rule{{Name: "one-a-minute", RequestsPerMinute: 1}}}},
		chat.WithRetry(chat.Retry{MaxAttempts: 1}),
		chat.WithOptions(chat.Options{Model: "anthropic.claude-3-haiku-20240307-v1:0"}))
	defer client.Close()
	for range 2 {
		_, err := client.Prompt("Tell me a joke").Call(ctx)
		var throttled *types.ThrottlingException
		fmt.Println(errors.As(err, &throttled), chat.Retryable(err))
	}
	// Output:
	// false false
	// true true
}
