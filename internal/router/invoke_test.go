package router

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/wire"
)

const msgBody = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"messages":[{"role":"user","content":"hello"}]}`

func invocation(model, body string) *provider.Invocation {
	return &provider.Invocation{ModelID: model, Body: []byte(body), Principal: "team-a"}
}

// A Messages body moves down the route's fallbacks like Converse: before
// the first chunk of a stream too, never after it.
func TestInvokeFallbacks(t *testing.T) {
	throttled := &fake{name: "a", err: wire.Errorf(wire.ThrottlingException, "slow down")}
	good := &fake{name: "b"}
	r := newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "a": throttled, "b": good},
		[]Route{{Pattern: "anthropic.*", Target: Target{Backend: "a"}, Fallbacks: []Target{{Backend: "b", Model: "other"}}}}, nil)
	out, err := r.InvokeModel(t.Context(), invocation(haiku, msgBody))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Content []struct{ Text string } }
	if err := json.Unmarshal(out.Body, &m); err != nil || m.Content[0].Text != "b:other" {
		t.Errorf("answer %s: %v", out.Body, err)
	}
	var chunks []string
	for ch, err := range r.InvokeModelStream(t.Context(), invocation(haiku, msgBody)) {
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, string(ch.Bytes))
	}
	if len(chunks) < 4 || !strings.Contains(strings.Join(chunks, ""), `"text":"b:other"`) || !invoke.HasMetrics([]byte(chunks[len(chunks)-1])) {
		t.Errorf("chunks %v", chunks)
	}

	// After the first chunk, a failure ends the stream.
	mid := &fake{name: "m", err: wire.Errorf(wire.ThrottlingException, "later"), midStream: true}
	r = newRouter(t, map[string]provider.Provider{"builtin": &fake{name: "builtin"}, "m": mid, "b": good},
		[]Route{{Pattern: "anthropic.*", Target: Target{Backend: "m"}, Fallbacks: []Target{{Backend: "b"}}}}, nil)
	var got []string
	var last error
	for ch, err := range r.InvokeModelStream(t.Context(), invocation(haiku, msgBody)) {
		if err != nil {
			last = err
			break
		}
		got = append(got, string(ch.Bytes))
	}
	if len(got) != 1 || !strings.Contains(got[0], "message_start") || exceptionType(last) != wire.ThrottlingException {
		t.Errorf("chunks %v, error %v", got, last)
	}
}

// An invocation reserves its prompt plus max_tokens, and settles with the
// usage of the answer; an embedding reserves and settles its input.
func TestInvokeQuota(t *testing.T) {
	tok, _ := sharedTokens()
	usage := &wire.TokenUsage{InputTokens: 7, OutputTokens: 30, TotalTokens: 37}
	backend := &embeddingFake{metered: metered{text: "hi", usage: usage}, b: builtin.New(builtin.Options{Tokens: tok})}
	r, l := quotaRouter(t, backend, ratelimit.Rule{Name: "all", Principal: "*", Model: "*", TokensPerMinute: 1_000_000})
	if _, err := r.InvokeModel(t.Context(), invocation(haiku, msgBody)); err != nil {
		t.Fatal(err)
	}
	req, _ := invoke.DecodeMessages([]byte(msgBody))
	conv, _ := req.ToConverse(haiku)
	prompt := int64(tok.Converse(tokensInput(&provider.Call{Request: conv})).Total)
	for ch, err := range r.InvokeModelStream(t.Context(), invocation(haiku, msgBody)) {
		if err != nil {
			t.Fatal(err)
		}
		_ = ch
	}
	if _, err := r.InvokeModel(t.Context(), invocation("amazon.titan-embed-text-v2:0", `{"inputText":"cat sat on the mat"}`)); err != nil {
		t.Fatal(err)
	}
	text := int64(tok.Text("cat sat on the mat"))
	l.mu.Lock()
	defer l.mu.Unlock()
	if want := []int64{prompt + 300, prompt + 300, text}; !equal(l.reserved, want) {
		t.Errorf("reserved %v, want %v", l.reserved, want)
	}
	// The embedding's reservation was exact: nothing left to settle.
	if want := []int64{37, 37}; !equal(l.settled, want) {
		t.Errorf("settled %v, want %v", l.settled, want)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// embeddingFake answers chat like metered and embeds like the built-in
// model.
type embeddingFake struct {
	metered
	b *builtin.Model
}

func (e *embeddingFake) Embed(ctx context.Context, c *provider.EmbedCall) (*invoke.Embeddings, error) {
	return e.b.Embed(ctx, c)
}

// InvokeModel calls are labelled with their operation, and embeddings with
// gen_ai.operation.name "embeddings".
func TestInvokeMetrics(t *testing.T) {
	tok, _ := sharedTokens()
	m := metrics.New(metrics.Options{})
	r, err := New(Options{Backends: map[string]provider.Provider{"builtin": builtin.New(builtin.Options{Tokens: tok})}, Default: "builtin",
		Tokens: tok, Catalog: catalog.New(), Metrics: m, ProviderNames: map[string]string{"builtin": "converse"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.InvokeModel(t.Context(), invocation(haiku, msgBody)); err != nil {
		t.Fatal(err)
	}
	for _, err := range r.InvokeModelStream(t.Context(), invocation(haiku, msgBody)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.InvokeModel(t.Context(), invocation("cohere.embed-english-v3", `{"texts":["a"],"input_type":"search_query"}`)); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for _, want := range []string{
		`gen_ai_server_request_duration_seconds_count{converse_backend="builtin",converse_operation="InvokeModel",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="converse",gen_ai_request_model="anthropic.claude-3-haiku-20240307-v1:0"} 1`,
		`gen_ai_server_request_duration_seconds_count{converse_backend="builtin",converse_operation="InvokeModelWithResponseStream",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="converse",gen_ai_request_model="anthropic.claude-3-haiku-20240307-v1:0"} 1`,
		`gen_ai_server_time_to_first_token_seconds_count{converse_backend="builtin",converse_operation="InvokeModelWithResponseStream",gen_ai_operation_name="chat"`,
		`gen_ai_server_request_duration_seconds_count{converse_backend="builtin",converse_operation="InvokeModel",error_type="",gen_ai_operation_name="embeddings",gen_ai_provider_name="converse",gen_ai_request_model="cohere.embed-english-v3"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
