package openai_test

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// embeddingsAPI is an OpenAI-compatible server: /chat/completions answers
// a recorded completion, /embeddings vectors of the length asked for (or
// 768), one per input, in reverse order to check the index is honoured.
type embeddingsAPI struct {
	mu     sync.Mutex
	paths  []string
	bodies []map[string]any
}

func (e *embeddingsAPI) start(t *testing.T) string {
	t.Helper()
	completion, err := os.ReadFile("testdata/response/openai-text.openai.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		e.mu.Lock()
		e.paths, e.bodies = append(e.paths, r.URL.Path), append(e.bodies, body)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			w.Write(completion)
			return
		}
		dims := 768
		if d, ok := body["dimensions"].(float64); ok {
			dims = int(d)
		}
		inputs, _ := body["input"].([]any)
		type item struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		}
		var data []item
		for i := len(inputs) - 1; i >= 0; i-- {
			v := make([]float64, dims)
			v[i%dims] = 3 // not unit length: converse normalises
			data = append(data, item{Index: i, Embedding: v})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "usage": map[string]int{"prompt_tokens": 7, "total_tokens": 7}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// A Messages body reaches an OpenAI-compatible server as a chat
// completion (its Converse equivalent); the answer comes back as Claude's
// JSON.
func TestInvokeModelMessagesOpenAI(t *testing.T) {
	var api embeddingsAPI
	client := setup(t, api.start(t))
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":1000,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Content []struct{ Type, Text string }
		Usage   struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		}
	}
	if err := json.Unmarshal(out.Body, &m); err != nil || len(m.Content) != 1 || !strings.HasPrefix(m.Content[0].Text, "Hi there!") || m.Usage.InputTokens != 8 || m.Usage.OutputTokens != 377 {
		t.Errorf("answer %s: %v", out.Body, err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.paths[0] != "/v1/chat/completions" || api.bodies[0]["max_tokens"] == nil && api.bodies[0]["max_completion_tokens"] == nil {
		t.Errorf("upstream %s %v", api.paths[0], api.bodies[0])
	}
}

// Embeddings go to /v1/embeddings: all texts in one call, "dimensions"
// only when asked, vectors back in input order, normalised as the family
// says.
func TestInvokeModelEmbeddingsOpenAI(t *testing.T) {
	var api embeddingsAPI
	client := setup(t, api.start(t))
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("cohere.embed-english-v3"),
		Body: []byte(`{"texts":["a","b","c"],"input_type":"search_document"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Embeddings [][]float64 `json:"embeddings"`
	}
	if err := json.Unmarshal(out.Body, &c); err != nil || len(c.Embeddings) != 3 {
		t.Fatalf("%s: %v", out.Body, err)
	}
	for i, v := range c.Embeddings {
		if len(v) != 768 || math.Abs(v[i]-1) > 1e-6 {
			t.Errorf("vector %d: len %d, v[%d] = %v", i, len(v), i, v[i])
		}
	}
	api.mu.Lock()
	if _, ok := api.bodies[0]["dimensions"]; ok || api.paths[0] != "/v1/embeddings" || api.bodies[0]["model"] != "gpt-test" {
		t.Errorf("upstream %s %v", api.paths[0], api.bodies[0])
	}
	api.mu.Unlock()

	out, err = client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.titan-embed-text-v2:0"),
		Body: []byte(`{"inputText":"hello","dimensions":256}`)})
	if err != nil {
		t.Fatal(err)
	}
	var ti struct {
		Embedding           []float64 `json:"embedding"`
		InputTextTokenCount int       `json:"inputTextTokenCount"`
	}
	if err := json.Unmarshal(out.Body, &ti); err != nil || len(ti.Embedding) != 256 || ti.InputTextTokenCount != 7 {
		t.Errorf("titan: %s: %v", out.Body, err)
	}
	api.mu.Lock()
	if d := api.bodies[1]["dimensions"]; d != float64(256) {
		t.Errorf("dimensions sent %v", d)
	}
	api.mu.Unlock()
}

// A server that ignores "dimensions" is caught rather than passed off.
func TestInvokeModelEmbeddingsWrongSize(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":[{"index":0,"embedding":[0.1,0.2,0.3]}]}`))
	}))
	t.Cleanup(srv.Close)
	client := setup(t, srv.URL+"/v1")
	_, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.titan-embed-text-v2:0"),
		Body: []byte(`{"inputText":"hello","dimensions":512}`)})
	var me *types.ModelErrorException
	if !errors.As(err, &me) || !strings.Contains(aws.ToString(me.Message), "embeddings of 3 dimensions; the request asked for 512") {
		t.Errorf("err %v", err)
	}
}
