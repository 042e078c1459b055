package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// InvokeModel calls are in the invocation log as Converse calls are, under
// their own operation names, with the model-native bodies, usage, the
// backend that answered after fallbacks, and the request metadata header.
func TestInvocationLogInvokeModel(t *testing.T) {
	client, lines := invocationServer(t, nil)
	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"Hello log"}]}`
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(sonnet37), Body: []byte(body),
		RequestMetadata: aws.String(`{"team":"search"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Usage struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		}
	}
	_ = json.Unmarshal(out.Body, &a)
	got := lines.next(t)
	if got.Operation != "InvokeModel" || got.Backend != "builtin" || got.Outcome != "ok" || got.Identity.Principal != "team-a" ||
		got.Input.InputTokenCount != a.Usage.InputTokens || got.Output.OutputTokenCount != a.Usage.OutputTokens || got.RequestMetadata["team"] != "search" {
		t.Errorf("record %+v", got)
	}
	if !strings.Contains(string(got.Input.InputBodyJSON), "Hello log") || !strings.Contains(string(got.Output.OutputBodyJSON), `"type":"message"`) {
		t.Errorf("bodies %s / %s", got.Input.InputBodyJSON, got.Output.OutputBodyJSON)
	}

	s, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(sonnet37), Body: []byte(body)})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range s.GetStream().Events() {
		_ = ev.(*types.ResponseStreamMemberChunk)
	}
	if err := s.GetStream().Err(); err != nil {
		t.Fatal(err)
	}
	got = lines.next(t)
	if got.Operation != "InvokeModelWithResponseStream" || got.Outcome != "ok" || got.Output.OutputTokenCount == 0 || got.Timing.TimeToFirstTokenMs == nil ||
		!strings.Contains(string(got.Output.OutputBodyJSON), `"message_stop"`) {
		t.Errorf("stream record %+v %s", got, got.Output.OutputBodyJSON)
	}
}
