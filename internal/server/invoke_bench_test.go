package server_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// BenchmarkInvokeModelEmbedding is one Titan Text Embeddings V2 call
// (1,024 dimensions, normalised) from the official Go SDK to the built-in
// model over loopback HTTP/1.1 with SigV4, the JSON decoded by the caller.
func BenchmarkInvokeModelEmbedding(b *testing.B) {
	client := sdktest.Client(b, start(b, nil), sdktest.Options{})
	in := &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("amazon.titan-embed-text-v2:0"), ContentType: aws.String("application/json"),
		Body: []byte(`{"inputText":"Amazon Bedrock is a fully managed service that offers a choice of high-performing foundation models from leading AI companies."}`),
	}
	for b.Loop() {
		out, err := client.InvokeModel(b.Context(), in)
		if err != nil {
			b.Fatal(err)
		}
		var r struct{ Embedding []float64 }
		if err := json.Unmarshal(out.Body, &r); err != nil || len(r.Embedding) != 1024 {
			b.Fatalf("%d dimensions: %v", len(r.Embedding), err)
		}
	}
}

// BenchmarkInvokeModelStream1000Tokens streams a Messages answer of
// exactly 1,000 output tokens (max_tokens cuts it) as chunk events, every
// chunk read through the SDK; compare BenchmarkConverseStream1000Tokens.
func BenchmarkInvokeModelStream1000Tokens(b *testing.B) {
	client := sdktest.Client(b, start(b, nil), sdktest.Options{})
	in := &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String(haiku), ContentType: aws.String("application/json"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":1000,"messages":[{"role":"user","content":"Tell me about the history of computing in 2000 words"}]}`),
	}
	for b.Loop() {
		out, err := client.InvokeModelWithResponseStream(b.Context(), in)
		if err != nil {
			b.Fatal(err)
		}
		var last []byte
		for ev := range out.GetStream().Events() {
			last = ev.(*types.ResponseStreamMemberChunk).Value.Bytes
		}
		if err := out.GetStream().Err(); err != nil {
			b.Fatal(err)
		}
		var m struct {
			Metrics struct{ OutputTokenCount int } `json:"amazon-bedrock-invocationMetrics"`
		}
		if err := json.Unmarshal(last, &m); err != nil || m.Metrics.OutputTokenCount != 1000 {
			b.Fatalf("last chunk %s: %v", last, err)
		}
	}
}
