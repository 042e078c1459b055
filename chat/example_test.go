package chat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/conversekit/converse/chat"
)

// newExampleClient reads CONVERSE_* settings (CONVERSE_ENDPOINT pointing
// at `converse serve`, or AWS itself).
func newExampleClient(ctx context.Context) *chat.Client {
	s, err := chat.SettingsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	o, err := chat.OptionsFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	c, err := chat.New(ctx, chat.WithSettings(s), chat.WithOptions(o))
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// The basic call.
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
}

type WeatherRequest struct {
	Location string `json:"location" jsonschema:"City or state name"`
}

// Runtime options with a tool, as the seed's BedrockChatOptions builder.
func Example_runtimeOptions() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	weather := chat.NewTool("getCurrentWeather",
		"Get the weather in location. Return temperature in 36°F or 36°C format. Use multi-turn if needed.",
		func(ctx context.Context, in WeatherRequest) (string, error) { return "30°C", nil })
	resp, err := client.Prompt("What is current weather in Amsterdam?").
		Options(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0", Temperature: chat.Ptr[float32](0.6), MaxTokens: chat.Ptr(300)}).
		Tools(weather).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
}

// Tools from Go functions: the model's calls run automatically.
func ExampleNewTool() {
	ctx := context.Background()
	weather := chat.NewTool("weatherByLocation", "Get the weather in location",
		func(ctx context.Context, in WeatherRequest) (map[string]any, error) {
			return map[string]any{"location": in.Location, "temp": 12, "unit": "C"}, nil
		})
	client, err := chat.New(ctx, chat.WithTools(weather), chat.WithOptions(chat.Options{Model: "anthropic.claude-3-5-sonnet-20240620-v1:0"}))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := client.Prompt("What's the weather like in Boston?").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text, len(resp.ToolResults))
}

// Prompt caching with SYSTEM_ONLY and the cache metadata (the seed's usage
// example); the other strategies are CacheToolsOnly, CacheSystemAndTools
// (Claude only) and CacheConversationHistory.
func Example_cacheSystemOnly() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	largeSystemPrompt := "You are an expert software architect specializing in distributed systems..." // 1024+ tokens
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
		fmt.Println("Cache creation tokens:", resp.Metadata["cacheWriteInputTokens"])
		fmt.Println("Cache read tokens:", resp.Metadata["cacheReadInputTokens"])
	}
}

// Tool definitions cached once across tenants (TOOLS_ONLY, Claude only).
func Example_cacheToolsOnly() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	weather := chat.NewTool("weather", "Weather in a city", func(ctx context.Context, in WeatherRequest) (string, error) { return "sunny", nil })
	resp, err := client.Prompt("What's the weather in San Francisco?").
		Tools(weather).
		Options(chat.Options{Model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheToolsOnly}}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Usage.CacheWriteInputTokens, resp.Usage.CacheReadInputTokens)
}

// Conversation history cached turn by turn, with chat memory.
func Example_cacheConversationHistory() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	memory := chat.NewWindowMemory(chat.DefaultWindow)
	counselor := client.Prompt().
		System("You are a personalized career counselor...").
		Memory(memory, "conversation-42").
		Options(chat.Options{Model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0", Cache: &chat.CacheOptions{Strategy: chat.CacheConversationHistory}, MaxTokens: chat.Ptr(500)})
	resp, err := counselor.User("What career advice would you give me?").Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
}

// An image beside the question.
func Example_image() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	resp, err := client.Prompt().User("Explain what do you see on this picture?", chat.File("testdata/test.png")).Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
}

// A video (Amazon Nova), from bytes or S3.
func Example_video() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	resp, err := client.Prompt().
		User("Explain what do you see in this video?", chat.VideoS3("s3://my-bucket/test.video.mp4", "")).
		Options(chat.Options{Model: "amazon.nova-pro-v1:0"}).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
}

// A document to summarise.
func Example_document() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	resp, err := client.Prompt().
		User("You are a very professional document summarization specialist. Please summarize the given document.",
			chat.File("spring-ai-reference-overview.pdf")).
		Call(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Text)
}

// Streaming: text as it arrives, usage at the end.
func ExamplePrompt_Stream() {
	ctx := context.Background()
	client := newExampleClient(ctx)
	for chunk, err := range client.Prompt("Tell me a joke").Stream(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(chunk.Text)
		if chunk.Usage != nil {
			fmt.Println("\noutput tokens:", chunk.Usage.OutputTokens)
		}
	}
}
