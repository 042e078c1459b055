package server_test

import (
	"encoding/json"
	"errors"
	"math"
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

func invokeJSON(t *testing.T, client *bedrockruntime.Client, model, body string) (map[string]json.RawMessage, *smithyhttp.Response) {
	t.Helper()
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String(model), ContentType: aws.String("application/json"), Accept: aws.String("application/json"), Body: []byte(body),
	})
	if err != nil {
		t.Fatalf("%s %s: %v", model, body, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(out.Body, &m); err != nil {
		t.Fatalf("body %s: %v", out.Body, err)
	}
	return m, awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func cos(a, b []float64) float64 {
	var d float64
	for i := range a {
		d += a[i] * b[i]
	}
	return d / (norm(a) * norm(b))
}

// Each embedding family answers with its own JSON, on the built-in model,
// through the official Go SDK.
func TestInvokeModelEmbeddingFamilies(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})

	t.Run("titan v2", func(t *testing.T) {
		m, raw := invokeJSON(t, client, "amazon.titan-embed-text-v2:0", `{"inputText":"cat sat on the mat","dimensions":256,"embeddingTypes":["float","binary"]}`)
		var emb []float64
		var n int
		var byType struct {
			Float  []float64 `json:"float"`
			Binary []int     `json:"binary"`
		}
		_ = json.Unmarshal(m["embedding"], &emb)
		_ = json.Unmarshal(m["inputTextTokenCount"], &n)
		_ = json.Unmarshal(m["embeddingsByType"], &byType)
		if len(emb) != 256 || math.Abs(norm(emb)-1) > 1e-3 || n == 0 || len(byType.Float) != 256 || len(byType.Binary) != 256 {
			t.Errorf("len %d norm %.4f tokens %d byType %d/%d", len(emb), norm(emb), n, len(byType.Float), len(byType.Binary))
		}
		for i, b := range byType.Binary {
			if (b == 1) != (emb[i] > 0) {
				t.Fatalf("binary[%d] = %d for %f", i, b, emb[i])
			}
		}
		if h := raw.Header.Get("X-Amzn-Bedrock-Input-Token-Count"); h != strconv.Itoa(n) {
			t.Errorf("input token header %q, body %d", h, n)
		}
		// Default: 1024 dimensions, normalised; normalize false keeps the raw scale.
		m, _ = invokeJSON(t, client, "amazon.titan-embed-text-v2:0", `{"inputText":"cat sat on the mat","normalize":false}`)
		var raw1024 []float64
		_ = json.Unmarshal(m["embedding"], &raw1024)
		if len(raw1024) != 1024 || math.Abs(norm(raw1024)-1) < 1e-3 {
			t.Errorf("unnormalised: len %d norm %.4f", len(raw1024), norm(raw1024))
		}
	})

	t.Run("titan v1", func(t *testing.T) {
		m, _ := invokeJSON(t, client, "amazon.titan-embed-text-v1", `{"inputText":"hello"}`)
		var emb []float64
		_ = json.Unmarshal(m["embedding"], &emb)
		if len(emb) != 1536 || len(m) != 2 || m["inputTextTokenCount"] == nil {
			t.Errorf("keys %v, len %d", len(m), len(emb))
		}
	})

	t.Run("cohere v3", func(t *testing.T) {
		m, _ := invokeJSON(t, client, "cohere.embed-english-v3", `{"texts":["cat sat on the mat","a cat on a mat","tax law"],"input_type":"search_document"}`)
		var vecs [][]float64
		var rt string
		var texts []string
		_ = json.Unmarshal(m["embeddings"], &vecs)
		_ = json.Unmarshal(m["response_type"], &rt)
		_ = json.Unmarshal(m["texts"], &texts)
		if len(vecs) != 3 || len(vecs[0]) != 1024 || rt != "embeddings_floats" || len(texts) != 3 || m["id"] == nil {
			t.Fatalf("cohere v3: %d vectors, type %q, texts %v", len(vecs), rt, texts)
		}
		if near, far := cos(vecs[0], vecs[1]), cos(vecs[0], vecs[2]); near < 0.5 || far > 0.15 {
			t.Errorf("similarity: near %.3f far %.3f", near, far)
		}
		m, _ = invokeJSON(t, client, "cohere.embed-multilingual-v3", `{"texts":["hello"],"input_type":"search_query","embedding_types":["int8","ubinary"]}`)
		var byType struct {
			Int8    [][]int `json:"int8"`
			Ubinary [][]int `json:"ubinary"`
		}
		_ = json.Unmarshal(m["embeddings"], &byType)
		_ = json.Unmarshal(m["response_type"], &rt)
		if rt != "embeddings_by_type" || len(byType.Int8) != 1 || len(byType.Int8[0]) != 1024 || len(byType.Ubinary[0]) != 128 {
			t.Errorf("by type: %q %d %d", rt, len(byType.Int8), len(byType.Ubinary))
		}
	})

	t.Run("cohere v4", func(t *testing.T) {
		m, _ := invokeJSON(t, client, "cohere.embed-v4:0", `{"texts":["hello","world"],"input_type":"classification","output_dimension":512}`)
		var byType struct {
			Float [][]float64 `json:"float"`
		}
		var rt string
		_ = json.Unmarshal(m["embeddings"], &byType)
		_ = json.Unmarshal(m["response_type"], &rt)
		if rt != "embeddings_by_type" || len(byType.Float) != 2 || len(byType.Float[0]) != 512 {
			t.Errorf("v4: %q %d", rt, len(byType.Float))
		}
	})
}

func TestInvokeModelEmbeddingRefusals(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	long := strings.Repeat("word ", 600)
	for _, tc := range []struct {
		name, model, body, want string
	}{
		{"titan dims", "amazon.titan-embed-text-v2:0", `{"inputText":"x","dimensions":300}`, "Malformed input request: #/dimensions: 300 is not a valid enum value, please reformat your input and try again."},
		{"titan v1 extra key", "amazon.titan-embed-text-v1", `{"inputText":"x","textGenerationConfig":{}}`, "Malformed input request: extraneous key [textGenerationConfig] is not permitted, please reformat your input and try again."},
		{"cohere input_type", "cohere.embed-english-v3", `{"texts":["x"]}`, "Malformed input request: #: required key [input_type] not found, please reformat your input and try again."},
		{"cohere too long", "cohere.embed-english-v3", `{"texts":["` + long + `"],"input_type":"search_query"}`, "Malformed input request: #/texts/0: expected maxLength: 2048, actual: 3000, please reformat your input and try again."},
		{"cohere images on builtin", "cohere.embed-english-v3", `{"images":["data:image/png;base64,AAAA"],"input_type":"image"}`, `Backend "builtin" embeds text only`},
		{"guardrail", "amazon.titan-embed-text-v2:0", `{"inputText":"x"}`, "Guardrails are not applied by backend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &bedrockruntime.InvokeModelInput{ModelId: aws.String(tc.model), Body: []byte(tc.body)}
			if tc.name == "guardrail" {
				in.GuardrailIdentifier, in.GuardrailVersion = aws.String("gr-1"), aws.String("1")
			}
			_, err := client.InvokeModel(t.Context(), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), tc.want) {
				t.Errorf("err %v, want ValidationException %q", err, tc.want)
			}
		})
	}
	// Cohere v3's 512-token limit: truncate END keeps the start, NONE refuses.
	words := strings.Repeat("7 ", 1000) // about one token a word
	if _, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("cohere.embed-english-v3"),
		Body: []byte(`{"texts":["` + words[:2000] + `"],"input_type":"search_query"}`)}); err == nil || !strings.Contains(err.Error(), "Too many input tokens. Max input tokens: 512") {
		t.Errorf("over the token limit: %v", err)
	}
	m, _ := invokeJSON(t, client, "cohere.embed-english-v3", `{"texts":["`+words[:2000]+`"],"input_type":"search_query","truncate":"END"}`)
	var texts []string
	_ = json.Unmarshal(m["texts"], &texts)
	if len(texts) != 1 || !strings.HasPrefix(words, texts[0]) || len(texts[0]) >= 2000 {
		t.Errorf("truncated text: %d bytes", len(texts[0]))
	}
	// Embedding models do not stream.
	_, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String("amazon.titan-embed-text-v2:0"), Body: []byte(`{"inputText":"x"}`)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || aws.ToString(ve.Message) != "The model is unsupported for streaming." {
		t.Errorf("stream: %v", err)
	}
}
