package bedrock_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/invoke"
)

const messagesBody = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"messages":[{"role":"user","content":"Hello there"}]}`

// InvokeModel bodies of any family are forwarded byte for byte, re-signed,
// with the caller's InvokeModel headers; the answer (body and
// X-Amzn-Bedrock-* headers) comes back unchanged.
func TestInvokeModelForwarded(t *testing.T) {
	c := newChain(t, nil, nil)
	for _, tc := range []struct{ model, body string }{
		{haiku, messagesBody},
		{"amazon.titan-embed-text-v2:0", `{"inputText":"cat sat on the mat","dimensions":256}`},
		{"cohere.embed-english-v3", `{"texts":["a","b"],"input_type":"search_query","embedding_types":["int8"]}`},
	} {
		t.Run(tc.model, func(t *testing.T) {
			in := &bedrockruntime.InvokeModelInput{ModelId: aws.String(tc.model), Body: []byte(tc.body),
				ContentType: aws.String("application/json"), ServiceTier: types.ServiceTierTypeFlex}
			outer, err := c.outer.InvokeModel(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			c.checkForwarded(t, tc.model)
			c.up.mu.Lock()
			tier := c.up.headers[len(c.up.headers)-1].ServiceTier
			c.up.mu.Unlock()
			if tier != "flex" {
				t.Errorf("service tier reached the upstream as %q", tier)
			}
			oh := awsmiddleware.GetRawResponse(outer.ResultMetadata).(*smithyhttp.Response).Header
			if oh.Get(invoke.HeaderInputTokens) == "" || oh.Get(invoke.HeaderServiceTier) != "flex" {
				t.Errorf("headers in=%q tier=%q", oh.Get(invoke.HeaderInputTokens), oh.Get(invoke.HeaderServiceTier))
			}
			if !json.Valid(outer.Body) || len(outer.Body) < 20 {
				t.Errorf("body %s", outer.Body)
			}
		})
	}
}

// Guardrail headers go to Bedrock, which applies them: here the upstream
// (a converse without that guardrail) refuses the unknown guardrail, which
// proves the headers arrived.
func TestInvokeModelForwardsGuardrail(t *testing.T) {
	c := newChain(t, nil, nil)
	_, err := c.outer.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku), Body: []byte(messagesBody),
		GuardrailIdentifier: aws.String("gr-1"), GuardrailVersion: aws.String("3"), Trace: types.TraceEnabled})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "The guardrail identifier or version provided in the request does not exist.") {
		t.Fatalf("err %v", err)
	}
	c.up.mu.Lock()
	defer c.up.mu.Unlock()
	h := c.up.headers[len(c.up.headers)-1]
	if h.GuardrailIdentifier != "gr-1" || h.GuardrailVersion != "3" || h.Trace != "ENABLED" {
		t.Errorf("upstream headers %+v", h)
	}
}

// The stream's chunks pass through as they came, the upstream's metrics
// included (not a second set).
func TestInvokeModelStreamForwarded(t *testing.T) {
	c := newChain(t, nil, nil)
	read := func(client *bedrockruntime.Client) []map[string]json.RawMessage {
		out, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{
			ModelId: aws.String(haiku), Body: []byte(messagesBody)})
		if err != nil {
			t.Fatal(err)
		}
		s := out.GetStream()
		defer s.Close()
		var chunks []map[string]json.RawMessage
		for ev := range s.Events() {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(ev.(*types.ResponseStreamMemberChunk).Value.Bytes, &m); err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, m)
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		return chunks
	}
	chunks := read(c.outer)
	c.checkForwarded(t, haiku)
	last := chunks[len(chunks)-1]
	if string(last["type"]) != `"message_stop"` || last[invoke.MetricsKey] == nil {
		t.Fatalf("last chunk %v", last)
	}
	if strings.Count(string(mustJSON(t, last)), invoke.MetricsKey) != 1 {
		t.Errorf("metrics added twice: %s", mustJSON(t, last))
	}
	// Apart from message IDs and latencies, the same chunks as straight from "AWS".
	direct := read(c.direct)
	strip := func(cs []map[string]json.RawMessage) []string {
		var out []string
		for _, m := range cs {
			delete(m, invoke.MetricsKey)
			delete(m, "message")
			out = append(out, string(mustJSON(t, m)))
		}
		return out
	}
	if diff := cmp.Diff(strip(direct), strip(chunks)); diff != "" {
		t.Errorf("chunks (-direct +forwarded):\n%s", diff)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
