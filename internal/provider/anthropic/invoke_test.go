package anthropic_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/sse"
)

// seen is what the fake Messages API received.
type seen struct {
	mu      sync.Mutex
	body    map[string]json.RawMessage
	version string
	beta    string
}

// messagesAPI answers /v1/messages with a recorded JSON or SSE body.
func messagesAPI(t *testing.T, s *seen, jsonBody, sseBody []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.body = nil
		_ = json.Unmarshal(raw, &s.body)
		s.version, s.beta = r.Header.Get("anthropic-version"), r.Header.Get("anthropic-beta")
		s.mu.Unlock()
		if strings.Contains(string(raw), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(sseBody)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(jsonBody)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func invokeServer(t *testing.T, base string) *bedrockruntime.Client {
	t.Helper()
	p, err := anthropic.New(anthropic.Options{BaseURL: base, APIKey: "test-key", Name: "claude-direct"})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"claude-direct": p},
		Routes:   []router.Route{{Pattern: "anthropic.*", Target: router.Target{Backend: "claude-direct", Model: "claude-3-5-haiku-20241022"}}},
	})
	return sdktest.Client(t, endpoint, sdktest.Options{})
}

const invokeBody = `{"anthropic_version":"bedrock-2023-05-31","anthropic_beta":["token-efficient-tools-2025-02-19"],"max_tokens":512,` +
	`"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"What is the temperature in San Francisco?"}]}`

// A Messages body reaches the Anthropic API natively: anthropic_version
// becomes the API's anthropic-version header, anthropic_beta its
// anthropic-beta header, the routed model goes in the body; even a server
// tool the Converse shape cannot express passes. The answer is Anthropic's
// own JSON, and its usage the token-count headers.
func TestInvokeModelNative(t *testing.T) {
	resp, err := os.ReadFile("testdata/response/cache-read-tool.anthropic.json")
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	client := invokeServer(t, messagesAPI(t, &s, resp, nil))
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("us.anthropic.claude-3-5-haiku-20241022-v1:0"), ContentType: aws.String("application/json"), Body: []byte(invokeBody),
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Body) != string(resp) {
		t.Errorf("body changed:\n%s\nwant\n%s", out.Body, resp)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.body["anthropic_version"]; ok {
		t.Error("anthropic_version reached the API")
	}
	if _, ok := s.body["anthropic_beta"]; ok {
		t.Error("anthropic_beta reached the API body")
	}
	if got := string(s.body["model"]); got != `"claude-3-5-haiku-20241022"` {
		t.Errorf("model %s", got)
	}
	if s.version != anthropic.DefaultVersion || s.beta != "token-efficient-tools-2025-02-19" {
		t.Errorf("headers version %q beta %q", s.version, s.beta)
	}
	if !strings.Contains(string(s.body["tools"]), "web_search_20250305") {
		t.Errorf("tools %s", s.body["tools"])
	}
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	got := []string{raw.Header.Get("X-Amzn-Bedrock-Input-Token-Count"), raw.Header.Get("X-Amzn-Bedrock-Output-Token-Count"),
		raw.Header.Get("X-Amzn-Bedrock-Cache-Read-Input-Token-Count"), raw.Header.Get("X-Amzn-Bedrock-Cache-Write-Input-Token-Count")}
	if diff := cmp.Diff([]string{"24", "33", "1857", "0"}, got); diff != "" {
		t.Errorf("token headers (-want +got):\n%s", diff)
	}
}

// The stream's chunks are the recorded SSE events' data, pings dropped,
// and the last one carries Bedrock's invocation metrics.
func TestInvokeModelStreamNative(t *testing.T) {
	recorded, err := os.ReadFile("testdata/stream/crewai-tool.anthropic.sse")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for ev, err := range sse.Read(strings.NewReader(string(recorded)), sse.Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Name != "ping" {
			want = append(want, ev.Data)
		}
	}
	var s seen
	client := invokeServer(t, messagesAPI(t, &s, nil, recorded))
	out, err := client.InvokeModelWithResponseStream(t.Context(), &bedrockruntime.InvokeModelWithResponseStreamInput{
		ModelId: aws.String("anthropic.claude-3-5-haiku-20241022-v1:0"), Body: []byte(invokeBody),
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var got []string
	for ev := range stream.Events() {
		got = append(got, string(ev.(*types.ResponseStreamMemberChunk).Value.Bytes))
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d chunks, want %d", len(got), len(want))
	}
	last := got[len(got)-1]
	var m struct {
		Type    string `json:"type"`
		Metrics struct {
			InputTokenCount, OutputTokenCount int
		} `json:"amazon-bedrock-invocationMetrics"`
	}
	if err := json.Unmarshal([]byte(last), &m); err != nil || m.Type != "message_stop" || m.Metrics.InputTokenCount != 351 || m.Metrics.OutputTokenCount == 0 {
		t.Errorf("last chunk %s: %v", last, err)
	}
	got[len(got)-1] = want[len(want)-1]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chunks (-want +got):\n%s", diff)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if string(s.body["stream"]) != "true" {
		t.Errorf("stream flag %s", s.body["stream"])
	}
}

// Guardrails are Bedrock's: the Anthropic API cannot apply one, so the
// call is refused rather than answered unguarded.
func TestInvokeModelNativeRefusesGuardrail(t *testing.T) {
	var s seen
	client := invokeServer(t, messagesAPI(t, &s, []byte(`{}`), nil))
	_, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{
		ModelId: aws.String("anthropic.claude-3-5-haiku-20241022-v1:0"), Body: []byte(invokeBody),
		GuardrailIdentifier: aws.String("gr-1"), GuardrailVersion: aws.String("DRAFT"),
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), `Guardrails are not applied by backend "claude-direct"`) {
		t.Errorf("err %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.body != nil {
		t.Error("the request reached the API")
	}
}

// Service tiers as on Converse: default and priority map to the API's
// service_tier and are echoed; a tier the API lacks is refused.
func TestInvokeModelNativeServiceTier(t *testing.T) {
	resp, err := os.ReadFile("testdata/response/text.anthropic.json")
	if err != nil {
		t.Fatal(err)
	}
	var s seen
	client := invokeServer(t, messagesAPI(t, &s, resp, nil))
	out, err := client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-haiku-20241022-v1:0"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`), ServiceTier: types.ServiceTierTypeDefault})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	tier := string(s.body["service_tier"])
	s.mu.Unlock()
	raw := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	if tier != `"standard_only"` || raw.Header.Get("X-Amzn-Bedrock-Service-Tier") != "default" {
		t.Errorf("service_tier sent %s, echoed %q", tier, raw.Header.Get("X-Amzn-Bedrock-Service-Tier"))
	}
	_, err = client.InvokeModel(t.Context(), &bedrockruntime.InvokeModelInput{ModelId: aws.String("anthropic.claude-3-5-haiku-20241022-v1:0"),
		Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`), ServiceTier: types.ServiceTierTypeFlex})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(aws.ToString(ve.Message), "has no flex service tier") {
		t.Errorf("flex: %v", err)
	}
}
