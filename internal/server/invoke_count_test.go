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

// cache_control in a Messages body is prompt caching as on Converse: the
// first call writes the prefix, the second reads it, in the body's usage
// and in the token-count headers.
func TestInvokeModelPromptCache(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	long := strings.Repeat("A long, cacheable system prompt about many things. ", 150)
	body := []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":[{"type":"text","text":"` + long +
		`","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hello"}]}`)
	var usages [2]struct {
		Input      int `json:"input_tokens"`
		CacheWrite int `json:"cache_creation_input_tokens"`
		CacheRead  int `json:"cache_read_input_tokens"`
	}
	var headers [2]string
	for i := range 2 {
		out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-7-sonnet-20250219-v1:0"), Body: body})
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Usage json.RawMessage `json:"usage"`
		}
		_ = json.Unmarshal(out.Body, &m)
		_ = json.Unmarshal(m.Usage, &usages[i])
		headers[i] = awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response).Header.Get("X-Amzn-Bedrock-Cache-Read-Input-Token-Count")
	}
	if usages[0].CacheWrite == 0 || usages[0].CacheRead != 0 || usages[1].CacheRead != usages[0].CacheWrite || usages[1].CacheWrite != 0 {
		t.Errorf("usage: first %+v, second %+v", usages[0], usages[1])
	}
	if headers[1] != strconv.Itoa(usages[1].CacheRead) {
		t.Errorf("cache read header %q, body %d", headers[1], usages[1].CacheRead)
	}
}
