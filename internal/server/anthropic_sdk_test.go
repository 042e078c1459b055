package server_test

import (
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/bedrock"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// anthropicClient is anthropic-sdk-go with its Bedrock option, unmodified,
// pointed at converse: it sends Messages bodies to InvokeModel and
// InvokeModelWithResponseStream, signed with SigV4.
func anthropicClient(t *testing.T) anthropic.Client {
	t.Helper()
	t.Setenv("AWS_BEARER_TOKEN_BEDROCK", "") // the SDK prefers it over SigV4
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	return anthropic.NewClient(bedrock.WithConfig(cfg), option.WithBaseURL(start(t, nil)), option.WithMaxRetries(0))
}

func TestAnthropicSDKBedrockMessages(t *testing.T) {
	client := anthropicClient(t)
	msg, err := client.Messages.New(t.Context(), anthropic.MessageNewParams{
		Model:     anthropic.Model(haiku),
		MaxTokens: 256,
		System:    []anthropic.TextBlockParam{{Text: "You are terse."}},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("Hello, who are you?")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Role != "assistant" || msg.StopReason != anthropic.StopReasonEndTurn || len(msg.Content) != 1 || msg.Content[0].Text == "" {
		t.Errorf("message %+v", msg)
	}
	if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens == 0 || !strings.HasPrefix(msg.ID, "msg_bdrk_") {
		t.Errorf("usage %+v id %s", msg.Usage, msg.ID)
	}
}

func TestAnthropicSDKBedrockStream(t *testing.T) {
	client := anthropicClient(t)
	stream := client.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
		Model:     anthropic.Model(haiku),
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Tell me about streams."))},
	})
	var acc anthropic.Message
	var deltas int
	for stream.Next() {
		ev := stream.Current()
		if err := acc.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "content_block_delta" {
			deltas++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if deltas < 2 || len(acc.Content) != 1 || acc.Content[0].Text == "" || acc.StopReason != anthropic.StopReasonEndTurn {
		t.Errorf("%d deltas, message %+v", deltas, acc)
	}
	if acc.Usage.InputTokens == 0 || acc.Usage.OutputTokens == 0 {
		t.Errorf("usage %+v", acc.Usage)
	}
}

// The tool round trip: the built-in model calls the tool, the SDK sends
// the result back, the model answers from it; streamed, the tool input
// arrives as input_json_delta and accumulates to the same input.
func TestAnthropicSDKBedrockTools(t *testing.T) {
	client := anthropicClient(t)
	tools := []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
		Name:        "get_weather",
		Description: anthropic.String("Get the current weather for a city"),
		InputSchema: anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"city": map[string]any{"type": "string", "description": "The city"}},
			Required:   []string{"city"},
		},
	}}}
	question := anthropic.NewUserMessage(anthropic.NewTextBlock("What is the weather in Paris?"))
	params := anthropic.MessageNewParams{Model: anthropic.Model(haiku), MaxTokens: 512, Tools: tools, Messages: []anthropic.MessageParam{question}}
	msg, err := client.Messages.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse {
		t.Fatalf("stop reason %s, content %+v", msg.StopReason, msg.Content)
	}
	var call anthropic.ToolUseBlock
	for _, b := range msg.Content {
		if b.Type == "tool_use" {
			call = b.AsToolUse()
		}
	}
	if call.Name != "get_weather" || !strings.Contains(string(call.Input), "city") {
		t.Fatalf("tool call %+v", call)
	}

	// Streamed, the same call.
	stream := client.Messages.NewStreaming(t.Context(), params)
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	var streamed anthropic.ToolUseBlock
	for _, b := range acc.Content {
		if b.Type == "tool_use" {
			streamed = b.AsToolUse()
		}
	}
	if streamed.Name != call.Name || string(streamed.Input) != string(call.Input) {
		t.Errorf("streamed call %s %s, want %s %s", streamed.Name, streamed.Input, call.Name, call.Input)
	}

	// The result goes back; the model answers from it.
	params.Messages = append(params.Messages, msg.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(call.ID, "21 degrees and sunny", false)))
	answer, err := client.Messages.New(t.Context(), params)
	if err != nil {
		t.Fatal(err)
	}
	if answer.StopReason != anthropic.StopReasonEndTurn || len(answer.Content) == 0 || !strings.Contains(answer.Content[0].Text, "21 degrees and sunny") {
		t.Errorf("answer %+v", answer.Content)
	}
}
