package server_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/conversekit/converse/internal/sdktest"
)

// CountTokens with input.invokeModel counts an InvokeModel body exactly
// as InvokeModel reports it in X-Amzn-Bedrock-Input-Token-Count (plus the
// cache reads and writes, which CountTokens does not split out), and an
// embedding body as its inputTextTokenCount.
func TestCountTokensInvokeModelBody(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 120)
	for _, tc := range []struct{ name, model, body string }{
		{"messages", haiku, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"system":"You are a careful assistant.",` +
			`"tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],` +
			`"messages":[{"role":"user","content":"What is the weather in Paris?"},{"role":"assistant","content":[{"type":"text","text":"Let me check."}]},{"role":"user","content":"Please hurry."}]}`},
		{"messages with cache_control", "anthropic.claude-3-7-sonnet-20250219-v1:0", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,` +
			`"system":[{"type":"text","text":"` + long + `","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Summarise."}]}`},
		{"titan", "amazon.titan-embed-text-v2:0", `{"inputText":"cat sat on the mat"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := client.CountTokens(t.Context(), &bedrockruntime.CountTokensInput{ModelId: aws.String(tc.model),
				Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte(tc.body)}}})
			if err != nil {
				t.Fatal(err)
			}
			out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(tc.model), Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			h := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response).Header
			n := func(k string) int { v, _ := strconv.Atoi(h.Get(k)); return v }
			reported := n("X-Amzn-Bedrock-Input-Token-Count") + n("X-Amzn-Bedrock-Cache-Read-Input-Token-Count") + n("X-Amzn-Bedrock-Cache-Write-Input-Token-Count")
			if got := int(aws.ToInt32(ct.InputTokens)); got != reported || got == 0 {
				t.Errorf("CountTokens %d, InvokeModel reported %d (headers %v)", got, reported, h)
			}
			if tc.model == "amazon.titan-embed-text-v2:0" {
				var b struct{ InputTextTokenCount int }
				_ = json.Unmarshal(out.Body, &b)
				if b.InputTextTokenCount != reported {
					t.Errorf("inputTextTokenCount %d, header %d", b.InputTextTokenCount, reported)
				}
			}
		})
	}
}
