package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/trace"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// InvokeModel is traced like Converse: a server span for the request, a
// client span per backend attempt ("chat {model}" for a Messages body,
// "embeddings {model}" for an embedding), the caller's trace continued
// and passed on to the backend.
func TestTraceInvokeModel(t *testing.T) {
	tr, log := tracing(t)
	backend := newFakeOpenAI(t, http.StatusOK, openAIAnswer)
	p, err := openai.New(openai.Options{BaseURL: backend.URL + "/v1", Name: "vllm", HTTPClient: tracedClient(tr)})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends:      map[string]provider.Provider{"vllm": p},
		Routes:        []router.Route{{Pattern: "anthropic.*", Target: router.Target{Backend: "vllm", Model: "gpt-4.1"}}},
		Tracing:       tr,
		ProviderNames: map[string]string{"vllm": "openai", "builtin": "converse"},
	})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	_, err = client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(haiku),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Hello"}]}`)},
		withTraceparent("00-"+callerTrace+"-"+callerSpan+"-01"))
	if err != nil {
		t.Fatal(err)
	}
	spans := log.wait(t, 2)
	srv, cli := byKind(t, spans, trace.SpanKindServer), byKind(t, spans, trace.SpanKindClient)
	if len(srv) != 1 || len(cli) != 1 {
		t.Fatalf("%d server and %d client spans", len(srv), len(cli))
	}
	if srv[0].Name() != "POST /model/{modelId}/invoke" || cli[0].Name() != "chat gpt-4.1" || cli[0].Parent().SpanID() != srv[0].SpanContext().SpanID() {
		t.Errorf("spans %q, %q", srv[0].Name(), cli[0].Name())
	}
	checkAttrs(t, "client span", cli[0], map[string]string{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.max_tokens": "100",
		"gen_ai.usage.input_tokens": "12", "converse.backend": "vllm",
	})
	want := fmt.Sprintf("00-%s-%s-01", callerTrace, cli[0].SpanContext().SpanID())
	if diff := cmp.Diff([]string{want}, backend.traceparents()); diff != "" {
		t.Errorf("traceparent at the backend (-want +got):\n%s", diff)
	}

	// An embedding on the built-in model.
	if _, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("amazon.titan-embed-text-v2:0"),
		Body: []byte(`{"inputText":"hello"}`)}); err != nil {
		t.Fatal(err)
	}
	spans = log.wait(t, 4)
	c := byKind(t, spans[2:], trace.SpanKindClient)
	if len(c) != 1 || c[0].Name() != "embeddings amazon.titan-embed-text-v2:0" {
		t.Fatalf("embedding spans %v", spans[2:])
	}
	checkAttrs(t, "embedding span", c[0], map[string]string{
		"gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "converse", "gen_ai.usage.input_tokens": "1",
	})
}
