package main

import (
	"encoding/hex"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/conversekit/converse/internal/otlptest"
	"github.com/conversekit/converse/internal/sdktest"
)

// `converse serve` with a telemetry block sends the spans of a call routed
// to an OpenAI-compatible backend to the configured OTLP/HTTP collector,
// continuing the caller's trace, and the backend receives the trace context.
func TestServeExportsTraces(t *testing.T) {
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_PROPAGATORS"} {
		t.Setenv(k, "")
	}
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "10") // ms: export promptly rather than at exit

	spans := make(chan *tracepb.Span, 100)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					spans <- s
				}
			}
		}
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(collector.Close)

	var mu sync.Mutex
	var traceparents []string
	vllm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		traceparents = append(traceparents, r.Header.Get("traceparent"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","model":"llama3.2","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
	}))
	t.Cleanup(vllm.Close)

	cfg := filepath.Join(t.TempDir(), "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`
backends:
  - name: vllm
    kind: openai
    base_url: `+vllm.URL+`/v1
routes:
  - match: "*"
    backend: vllm
    model: llama3.2
telemetry:
  enabled: true
  protocol: http/protobuf
  endpoint: `+collector.URL+`
  sample_ratio: 1
`), 0o600); err != nil {
		t.Fatal(err)
	}
	endpoint := startServe(t, "-config", cfg)
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	}, func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01"))
	})
	if err != nil {
		t.Fatal(err)
	}

	got := map[tracepb.Span_SpanKind]*tracepb.Span{}
	for len(got) < 2 {
		select {
		case s := <-spans:
			got[s.GetKind()] = s
		case <-time.After(60 * time.Second): // hang guard
			t.Fatalf("collector received %d of 2 spans", len(got))
		}
	}
	srv, cli := got[tracepb.Span_SPAN_KIND_SERVER], got[tracepb.Span_SPAN_KIND_CLIENT]
	if srv == nil || cli == nil {
		t.Fatalf("spans %v, want a server and a client span", got)
	}
	if srv.GetName() != "chat anthropic.claude-3-haiku-20240307-v1:0" || cli.GetName() != "chat llama3.2" {
		t.Errorf("span names %q, %q", srv.GetName(), cli.GetName())
	}
	attr := func(s *tracepb.Span, key string) string {
		for _, kv := range s.GetAttributes() {
			if kv.GetKey() == key {
				return kv.GetValue().GetStringValue()
			}
		}
		return ""
	}
	if p := attr(cli, "gen_ai.provider.name"); p != "openai" {
		t.Errorf("client span gen_ai.provider.name %q, want openai (from the backend's kind)", p)
	}
	for _, s := range []*tracepb.Span{srv, cli} {
		if id := strings.ToLower(hex.EncodeToString(s.GetTraceId())); id != traceID {
			t.Errorf("span %q in trace %s, want the caller's %s", s.GetName(), id, traceID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "00-" + traceID + "-" + hex.EncodeToString(cli.GetSpanId()) + "-01"; len(traceparents) != 1 || traceparents[0] != want {
		t.Errorf("backend saw traceparent %q, want [%s]", traceparents, want)
	}
}

// `converse serve` exports its metrics over OTLP/HTTP when the telemetry
// block asks for it, or the OTEL_* variables alone do: the GenAI
// instruments with their dotted names, units and the conventions' bucket
// boundaries, carrying what the client was told.
func TestServeExportsMetrics(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml func(url string) string
		env  func(url string) map[string]string
	}{
		{name: "yaml", yaml: func(url string) string {
			return "telemetry:\n  protocol: http/protobuf\n  endpoint: " + url + "\n  service_name: gateway\n  metrics:\n    enabled: true\n    export_interval: 20ms\n"
		}},
		{name: "env", env: func(url string) map[string]string {
			return map[string]string{
				"OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
				"OTEL_METRIC_EXPORT_INTERVAL": "20", "OTEL_SERVICE_NAME": "gateway",
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
				"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
				"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
				"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"} {
				t.Setenv(k, "")
			}
			url, exports := otlptest.HTTPMetrics(t)
			var args []string
			if tc.yaml != nil {
				args = []string{"-config", writeConfig(t, tc.yaml(url))}
			}
			if tc.env != nil {
				for k, v := range tc.env(url) {
					t.Setenv(k, v)
				}
			}
			endpoint := startServe(t, args...)
			client := sdktest.Client(t, endpoint, sdktest.Options{})
			const model = "anthropic.claude-3-haiku-20240307-v1:0"
			msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}}
			out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			st, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			for range st.GetStream().Events() {
			}
			if err := st.GetStream().Close(); err != nil {
				t.Fatal(err)
			}

			call := func(op string) map[string]string {
				return map[string]string{"gen_ai.operation.name": "chat", "converse.operation": op, "gen_ai.provider.name": "converse",
					"gen_ai.request.model": model, "converse.backend": "builtin"}
			}
			// Exports repeat every 20 ms with cumulative values: wait for
			// the first that holds both calls.
			var e otlptest.Export
			guard := time.After(60 * time.Second) // hang guard
			for len(e.Find("gen_ai.server.request.duration", call("Converse"))) == 0 || len(e.Find("gen_ai.server.request.duration", call("ConverseStream"))) == 0 {
				select {
				case e = <-exports:
				case <-guard:
					t.Fatal("no export held both calls")
				}
			}
			if s := e.Resource["service.name"]; s != "gateway" {
				t.Errorf("service.name %q, want gateway", s)
			}
			for _, want := range []struct {
				metric string
				unit   string
				bounds int
				attrs  map[string]string
				count  uint64
				sum    float64 // checked when not zero
			}{
				{"gen_ai.server.request.duration", "s", 14, call("Converse"), 1, 0},
				{"gen_ai.server.request.duration", "s", 14, call("ConverseStream"), 1, 0},
				{"gen_ai.server.time_to_first_token", "s", 16, call("ConverseStream"), 1, 0},
				{"gen_ai.server.time_per_output_token", "s", 13, call("ConverseStream"), 1, 0},
				{"converse.overhead", "s", 13, map[string]string{"converse.operation": "Converse", "converse.backend": "builtin"}, 1, 0},
				{"gen_ai.client.token.usage", "{token}", 14, with(call("Converse"), "gen_ai.token.type", "input"), 1, float64(*out.Usage.InputTokens)},
				{"gen_ai.client.token.usage", "{token}", 14, with(call("Converse"), "gen_ai.token.type", "output"), 1, float64(*out.Usage.OutputTokens)},
			} {
				pts := e.Find(want.metric, want.attrs)
				if len(pts) != 1 {
					t.Errorf("%s %v: %d points, want 1", want.metric, want.attrs, len(pts))
					continue
				}
				p := pts[0]
				if p.Kind != "histogram" || p.Unit != want.unit || len(p.Bounds) != want.bounds || p.Count != want.count || (want.sum != 0 && p.Sum != want.sum) {
					t.Errorf("%s %v: %+v, want a histogram in %s with %d bounds, count %d, sum %v", want.metric, want.attrs, p, want.unit, want.bounds, want.count, want.sum)
				}
			}
			if pts := e.Find("gen_ai.server.request.duration", nil); len(pts) > 0 && pts[0].Bounds[0] != 0.01 {
				t.Errorf("request duration bounds %v, want the conventions' 0.01 …", pts[0].Bounds)
			}
			tokens := e.Find("converse.tokens", map[string]string{"gen_ai.token.type": "output", "gen_ai.request.model": model})
			if len(tokens) != 1 || tokens[0].Kind != "sum" || !tokens[0].Monotonic || tokens[0].Value < float64(*out.Usage.OutputTokens) {
				t.Errorf("converse.tokens output %+v, want a monotonic sum counting both calls", tokens)
			}
		})
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	out[k] = v
	return out
}
