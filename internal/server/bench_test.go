package server_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// BenchmarkConverseRoundTrip is one Converse call from the official Go SDK
// to the built-in model over loopback HTTP/1.1 with SigV4: signing,
// verification, validation, the model's answer and the SDK's parsing.
func BenchmarkConverseRoundTrip(b *testing.B) {
	client := sdktest.Client(b, start(b, nil), sdktest.Options{})
	in := &bedrockruntime.ConverseInput{
		ModelId:         aws.String(haiku),
		Messages:        []types.Message{userText("Explain overfitting in machine learning")},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(512)},
	}
	for b.Loop() {
		if _, err := client.Converse(b.Context(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConverseStream1000Tokens streams exactly 1,000 output tokens
// (maxTokens cuts a longer answer) and reads every event through the SDK.
func BenchmarkConverseStream1000Tokens(b *testing.B) {
	client := sdktest.Client(b, start(b, nil), sdktest.Options{})
	in := &bedrockruntime.ConverseStreamInput{
		ModelId:         aws.String(haiku),
		Messages:        []types.Message{userText("Tell me about the history of computing in 2000 words")},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(1000)},
	}
	for b.Loop() {
		out, err := client.ConverseStream(b.Context(), in)
		if err != nil {
			b.Fatal(err)
		}
		var usage *types.TokenUsage
		for ev := range out.GetStream().Events() {
			if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
				usage = m.Value.Usage
			}
		}
		if err := out.GetStream().Err(); err != nil {
			b.Fatal(err)
		}
		if usage == nil || *usage.OutputTokens != 1000 {
			b.Fatalf("usage %+v, want 1000 output tokens", usage)
		}
	}
}
