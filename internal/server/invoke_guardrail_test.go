package server_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// The guardrail headers of InvokeModel apply converse's own guardrails to
// a Messages body, as guardrailConfig does on Converse: a blocked prompt
// is answered with the guardrail's message, and the body says so in
// Bedrock's amazon-bedrock-guardrailAction (with the trace header, the
// assessment in amazon-bedrock-trace); streams carry both in the last
// chunk.
func TestInvokeModelGuardrail(t *testing.T) {
	client := startGuarded(t)
	body := func(prompt string) []byte {
		b, _ := json.Marshal(map[string]any{"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
			"messages": []any{map[string]any{"role": "user", "content": prompt}}})
		return b
	}
	type answer struct {
		Content    []struct{ Text string }
		StopReason string          `json:"stop_reason"`
		Action     string          `json:"amazon-bedrock-guardrailAction"`
		Trace      json.RawMessage `json:"amazon-bedrock-trace"`
	}
	for _, tc := range []struct {
		name, prompt, action, stop string
	}{
		{"clean", `Say "The capital of France is Paris."`, "NONE", "end_turn"},
		{"blocked word", "Tell me about blorp.", "INTERVENED", "refusal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), Body: body(tc.prompt),
				GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("1"), Trace: types.TraceEnabled})
			if err != nil {
				t.Fatal(err)
			}
			var a answer
			if err := json.Unmarshal(out.Body, &a); err != nil {
				t.Fatal(err)
			}
			if a.Action != tc.action || a.StopReason != tc.stop || !strings.Contains(string(a.Trace), `"inputAssessment":{"gr1"`) {
				t.Errorf("answer %s", out.Body)
			}
			if tc.action == "INTERVENED" && a.Content[0].Text != blockedIn {
				t.Errorf("text %q, want the blocked message", a.Content[0].Text)
			}

			s, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(haiku), Body: body(tc.prompt),
				GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("1")})
			if err != nil {
				t.Fatal(err)
			}
			var last []byte
			for ev := range s.GetStream().Events() {
				last = ev.(*types.ResponseStreamMemberChunk).Value.Bytes
			}
			if err := s.GetStream().Err(); err != nil {
				t.Fatal(err)
			}
			var stop answer
			if err := json.Unmarshal(last, &stop); err != nil || stop.Action != tc.action || stop.Trace != nil {
				t.Errorf("last chunk %s: %v", last, err)
			}
		})
	}
	// An unknown guardrail is refused as on Converse.
	_, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), Body: body("hi"),
		GuardrailIdentifier: aws.String("nope"), GuardrailVersion: aws.String("1")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "does not exist") {
		t.Errorf("unknown guardrail: %v", err)
	}
	// The body's guardrail settings need the headers.
	_, err = client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"amazon-bedrock-guardrailConfig":{"streamProcessingMode":"sync"},"messages":[{"role":"user","content":"hi"}]}`)})
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "amazon-bedrock-guardrailConfig needs a guardrail") {
		t.Errorf("body config without headers: %v", err)
	}
}
