package server_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// seriesKey names a series by its Prometheus metric name and labels,
// leaving out empty labels (Prometheus treats them as absent).
func seriesKey(name string, labels map[string]string) string {
	var parts []string
	for k, v := range labels {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// promSeries reads the exposition: count and sum of each histogram series,
// the value of each counter series.
func promSeries(t *testing.T, m *metrics.Metrics) map[string][2]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "gen_ai_") && !strings.HasPrefix(name, "converse_") {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				out[seriesKey(name, labels)] = [2]float64{float64(s.GetHistogram().GetSampleCount()), s.GetHistogram().GetSampleSum()}
			case dto.MetricType_COUNTER:
				out[seriesKey(name, labels)] = [2]float64{0, s.GetCounter().GetValue()}
			}
		}
	}
	return out
}

func otelLabels(set attribute.Set) map[string]string {
	out := map[string]string{}
	for _, kv := range set.ToSlice() {
		out[strings.ReplaceAll(string(kv.Key), ".", "_")] = kv.Value.AsString()
	}
	return out
}

// Calls through the official SDK against an in-process converse are
// recorded on Prometheus and on an OpenTelemetry meter (read here with the
// SDK's ManualReader): each instrument has its dotted name, unit and the
// conventions' bucket boundaries, and every series carries the same count
// and sum in both.
func TestMetricsOTelMatchPrometheus(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	m := metrics.New(metrics.Options{MeterProvider: mp})
	endpoint := servertest.Start(t, servertest.Options{Metrics: m})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	const model = "anthropic.claude-3-haiku-20240307-v1:0"
	msgs := []types.Message{userText("Hello")}
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
	st.GetStream().Close()
	if _, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("vendor.no-such-model"), Messages: msgs}); err == nil {
		t.Fatal("an unknown model was served")
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	durationBounds := []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	want := map[string]struct {
		unit   string
		bounds []float64 // histograms
	}{
		"gen_ai.server.request.duration":      {"s", durationBounds},
		"gen_ai.server.time_to_first_token":   {"s", []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}},
		"gen_ai.server.time_per_output_token": {"s", []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}},
		"gen_ai.client.token.usage":           {"{token}", []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}},
		"converse.overhead":                   {"s", []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}},
		"converse.tokens":                     {"{token}", nil},
	}
	prom := promSeries(t, m)
	otel := map[string][2]float64{}
	var names []string
	for _, sm := range rm.ScopeMetrics {
		for _, met := range sm.Metrics {
			names = append(names, met.Name)
			w, ok := want[met.Name]
			if !ok {
				t.Errorf("unexpected instrument %s", met.Name)
				continue
			}
			if met.Unit != w.unit {
				t.Errorf("%s unit %q, want %q", met.Name, met.Unit, w.unit)
			}
			prefix := strings.ReplaceAll(met.Name, ".", "_")
			switch d := met.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					if !slices.Equal(dp.Bounds, w.bounds) {
						t.Errorf("%s bounds %v, want %v", met.Name, dp.Bounds, w.bounds)
					}
					otel[seriesKey(prefix+"_seconds", otelLabels(dp.Attributes))] = [2]float64{float64(dp.Count), dp.Sum}
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					if !slices.Equal(dp.Bounds, w.bounds) {
						t.Errorf("%s bounds %v, want %v", met.Name, dp.Bounds, w.bounds)
					}
					otel[seriesKey(prefix, otelLabels(dp.Attributes))] = [2]float64{float64(dp.Count), float64(dp.Sum)}
				}
			case metricdata.Sum[int64]:
				if !d.IsMonotonic || d.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s is not a cumulative counter", met.Name)
				}
				for _, dp := range d.DataPoints {
					otel[seriesKey(prefix+"_total", otelLabels(dp.Attributes))] = [2]float64{0, float64(dp.Value)}
				}
			default:
				t.Errorf("%s is a %T", met.Name, met.Data)
			}
		}
	}
	slices.Sort(names)
	if len(names) != len(want) {
		t.Errorf("instruments %q, want the %d above", names, len(want))
	}
	for k, v := range prom {
		if o, ok := otel[k]; !ok || o != v {
			t.Errorf("%s: Prometheus %v, OpenTelemetry %v (present %v)", k, v, o, ok)
		}
	}
	if len(otel) != len(prom) {
		t.Errorf("%d OpenTelemetry series, %d Prometheus series", len(otel), len(prom))
	}
	// Spot-check values the client saw, and the refused call's attributes.
	input := seriesKey("gen_ai_client_token_usage", map[string]string{
		"gen_ai_operation_name": "chat", "converse_operation": "Converse", "gen_ai_provider_name": "converse",
		"gen_ai_request_model": model, "converse_backend": "builtin", "gen_ai_token_type": "input",
	})
	if got := otel[input]; got != [2]float64{1, float64(*out.Usage.InputTokens)} {
		t.Errorf("%s = %v, want one call of %d tokens", input, got, *out.Usage.InputTokens)
	}
	refused := seriesKey("gen_ai_server_request_duration_seconds", map[string]string{
		"gen_ai_operation_name": "chat", "converse_operation": "Converse", "gen_ai_provider_name": "none",
		"gen_ai_request_model": "unknown", "converse_backend": "none", "error_type": "ValidationException",
	})
	if got := otel[refused]; got[0] != 1 {
		t.Errorf("%s = %v, want the refused call (series: %v)", refused, got, otel)
	}
}
