package telemetry_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/otlptest"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/telemetry"
)

// metricsEnv are the metric variables these tests clear beside otelEnv.
var metricsEnv = []string{
	"OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
	"OTEL_METRIC_EXPORT_INTERVAL", "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
	"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION",
}

func clearMetricsEnv(t *testing.T) {
	clearEnv(t)
	for _, k := range metricsEnv {
		t.Setenv(k, "")
	}
}

// converseMetered makes one Converse call through the official SDK against
// a server whose metrics record on tel's MeterProvider, and returns the
// usage the client saw.
func converseMetered(t *testing.T, tel *telemetry.Telemetry) *types.TokenUsage {
	t.Helper()
	endpoint := servertest.Start(t, servertest.Options{Metrics: metrics.New(metrics.Options{MeterProvider: tel.MeterProvider})})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:  aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Hello"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Usage
}

// received waits for the export that Shutdown flushes; earlier periodic
// exports (none, at the default minute) would come first.
func received(t *testing.T, exports <-chan otlptest.Export) otlptest.Export {
	t.Helper()
	var last otlptest.Export
	for {
		select {
		case e := <-exports:
			last = e
		default:
			if last.Points == nil {
				t.Fatal("the collector received no metrics")
			}
			return last
		}
	}
}

// checkExport wants the call's request duration and token usage, with the
// conventions' names, units, bucket boundaries and attributes.
func checkExport(t *testing.T, e otlptest.Export, usage *types.TokenUsage, service string) {
	t.Helper()
	if got := e.Resource["service.name"]; got != service {
		t.Errorf("service.name %q, want %q", got, service)
	}
	if !slices.Contains(e.Scopes, "github.com/conversekit/converse") {
		t.Errorf("scopes %q lack converse's", e.Scopes)
	}
	call := map[string]string{
		"gen_ai.operation.name": "chat", "converse.operation": "Converse", "gen_ai.provider.name": "converse",
		"gen_ai.request.model": model, "converse.backend": "builtin",
	}
	dur := e.Find("gen_ai.server.request.duration", call)
	if len(dur) != 1 {
		t.Fatalf("gen_ai.server.request.duration points %+v, want one for the call", dur)
	}
	d := dur[0]
	wantBounds := []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	if d.Kind != "histogram" || d.Unit != "s" || d.Count != 1 || !slices.Equal(d.Bounds, wantBounds) || d.Temporality != "AGGREGATION_TEMPORALITY_CUMULATIVE" {
		t.Errorf("request duration %+v, want one cumulative histogram point in s with the spec's boundaries", d)
	}
	if _, ok := d.Attrs["error.type"]; ok {
		t.Errorf("a successful call has error.type %q", d.Attrs["error.type"])
	}
	for typ, n := range map[string]int32{"input": *usage.InputTokens, "output": *usage.OutputTokens} {
		pts := e.Find("gen_ai.client.token.usage", map[string]string{"gen_ai.token.type": typ, "gen_ai.request.model": model})
		if len(pts) != 1 || pts[0].Unit != "{token}" || pts[0].Count != 1 || pts[0].Sum != float64(n) || len(pts[0].Bounds) != 14 {
			t.Errorf("gen_ai.client.token.usage %s: %+v, want one point of %d {token}", typ, pts, n)
		}
	}
	if pts := e.Find("converse.overhead", map[string]string{"converse.operation": "Converse"}); len(pts) != 1 || pts[0].Unit != "s" || pts[0].Count != 1 {
		t.Errorf("converse.overhead %+v, want one point in s", pts)
	}
}

// Configured by the standard OTEL_* variables alone, the OTLP/HTTP metric
// exporter delivers a call's metrics to a collector.
func TestMetricsOTLPHTTPFromEnvironment(t *testing.T) {
	clearMetricsEnv(t)
	url, exports := otlptest.HTTPMetrics(t)
	t.Setenv("OTEL_METRICS_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", url+"/v1/metrics") // signal-specific: the full URL
	t.Setenv("OTEL_SERVICE_NAME", "converse-test")
	tel, err := telemetry.New(t.Context(), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !tel.MetricsEnabled() || tel.Enabled() {
		t.Fatalf("OTEL_METRICS_EXPORTER=otlp: metrics %v, traces %v; want metrics only", tel.MetricsEnabled(), tel.Enabled())
	}
	usage := converseMetered(t, tel)
	shutdown(t, tel) // exports the final values
	checkExport(t, received(t, exports), usage, "converse-test")
}

// Configured by Options (the YAML), the OTLP/gRPC metric exporter delivers
// them to a gRPC collector, exporting at the configured interval.
func TestMetricsOTLPGRPCFromOptions(t *testing.T) {
	clearMetricsEnv(t)
	addr, exports := otlptest.GRPCMetrics(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf") // overridden
	on := true
	tel, err := telemetry.New(t.Context(), telemetry.Options{
		Metrics: &on, MetricInterval: 10 * time.Millisecond, Protocol: telemetry.ProtocolGRPC, Endpoint: "http://" + addr, ServiceName: "from-yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(t, tel)
	usage := converseMetered(t, tel)
	// Periodic exports, not only the one at shutdown: wait for one that
	// holds the call.
	guard := time.After(60 * time.Second) // hang guard
	for {
		select {
		case e := <-exports:
			if len(e.Find("gen_ai.server.request.duration", nil)) == 0 {
				continue
			}
			checkExport(t, e, usage, "from-yaml")
			return
		case <-guard:
			t.Fatal("no periodic export held the call")
		}
	}
}

// Whether metrics are exported, and which settings are refused.
func TestMetricsEnabled(t *testing.T) {
	on, off := true, false
	for _, tc := range []struct {
		name    string
		env     map[string]string
		opts    telemetry.Options
		enabled bool
		err     string
	}{
		{name: "off by default"},
		{name: "traces on leaves metrics off", opts: telemetry.Options{Enabled: &on}},
		{name: "OTEL_METRICS_EXPORTER=otlp", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp"}, enabled: true},
		{name: "config on", opts: telemetry.Options{Metrics: &on}, enabled: true},
		{name: "config off beats env", env: map[string]string{"OTEL_METRICS_EXPORTER": "otlp"}, opts: telemetry.Options{Metrics: &off}},
		{name: "OTEL_SDK_DISABLED beats config", env: map[string]string{"OTEL_SDK_DISABLED": "true"}, opts: telemetry.Options{Metrics: &on}},
		{name: "prometheus exporter", env: map[string]string{"OTEL_METRICS_EXPORTER": "prometheus"}, err: "served on -metrics-addr"},
		{name: "metrics protocol checked", env: map[string]string{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"}, opts: telemetry.Options{Metrics: &on}, err: "http/json is not supported"},
		{name: "negative interval", opts: telemetry.Options{Metrics: &on, MetricInterval: -time.Second}, err: "positive"},
		{name: "endpoint not a URL", opts: telemetry.Options{Metrics: &on, Endpoint: "collector:4318"}, err: "http:// or https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearMetricsEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tel, err := telemetry.New(t.Context(), tc.opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// No collector listens: the final export fails, which is not
			// what this test is about.
			defer func() { _ = tel.Shutdown(t.Context()) }()
			if tel.MetricsEnabled() != tc.enabled || (tel.MeterProvider == nil) == tc.enabled {
				t.Errorf("metrics enabled %v (provider %v), want %v", tel.MetricsEnabled(), tel.MeterProvider, tc.enabled)
			}
		})
	}
}
