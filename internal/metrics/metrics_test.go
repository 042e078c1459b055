package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// TestInstrumentNames pins the Prometheus spelling of the OpenTelemetry
// names (dots to underscores, _seconds for "s", _total on counters) and the
// spec's bucket boundaries.
func TestInstrumentNames(t *testing.T) {
	for _, tc := range []struct {
		in      instrument
		prom    string
		labels  []string
		buckets []float64
	}{
		{requestDuration, "gen_ai_server_request_duration_seconds",
			[]string{"gen_ai_operation_name", "converse_operation", "gen_ai_provider_name", "gen_ai_request_model", "converse_backend", "error_type"},
			[]float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}},
		{timeToFirstToken, "gen_ai_server_time_to_first_token_seconds",
			[]string{"gen_ai_operation_name", "converse_operation", "gen_ai_provider_name", "gen_ai_request_model", "converse_backend"},
			[]float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}},
		{timePerOutputToken, "gen_ai_server_time_per_output_token_seconds",
			[]string{"gen_ai_operation_name", "converse_operation", "gen_ai_provider_name", "gen_ai_request_model", "converse_backend"},
			[]float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}},
		{tokenUsage, "gen_ai_client_token_usage",
			[]string{"gen_ai_operation_name", "converse_operation", "gen_ai_provider_name", "gen_ai_request_model", "converse_backend", "gen_ai_token_type"},
			[]float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}},
		{overhead, "converse_overhead_seconds", []string{"converse_operation", "gen_ai_provider_name", "converse_backend"}, overheadBuckets},
		{tokens, "converse_tokens_total", []string{"gen_ai_provider_name", "gen_ai_request_model", "converse_backend", "gen_ai_token_type"}, nil},
		{fallbacks, "converse_fallbacks_total", []string{"gen_ai_request_model", "converse_backend", "error_type"}, nil},
		{cacheLookups, "converse_prompt_cache_lookups_total", []string{"gen_ai_request_model", "converse_cache_result"}, nil},
		{quotaDecisions, "converse_ratelimit_decisions_total", []string{"rule", "result"}, nil},
		{redisErrors, "converse_redis_errors_total", []string{"component", "op"}, nil},
		{invocationLogDropped, "converse_invocation_log_dropped_total", []string{}, nil},
	} {
		if got := tc.in.promName(); got != tc.prom {
			t.Errorf("%s: Prometheus name %s, want %s", tc.in.name, got, tc.prom)
		}
		if diff := cmp.Diff(tc.labels, tc.in.labels()); diff != "" {
			t.Errorf("%s labels (-want +got):\n%s", tc.in.name, diff)
		}
		if diff := cmp.Diff(tc.buckets, tc.in.buckets); diff != "" {
			t.Errorf("%s buckets (-want +got):\n%s", tc.in.name, diff)
		}
	}
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

func TestRecord(t *testing.T) {
	var none *Metrics
	none.Record(Call{}) // a nil *Metrics records nothing, without panicking
	none.Fallback("m", "b", "x")
	none.CacheLookup("m", true)

	m := New(Options{})
	a := Attrs{Operation: "ConverseStream", Provider: "openai", Model: "m", Backend: "b"}
	m.Record(Call{Attrs: a, Duration: 5 * time.Second, Upstream: 4 * time.Second, FirstToken: time.Second,
		Usage: &Usage{Input: 10, Output: 9, CacheRead: 20, CacheWrite: 30}})
	// A failure: its duration and overhead only, never usage or latencies
	// of successful responses; upstream beyond duration counts as none.
	m.Record(Call{Attrs: a, ErrorType: "ThrottlingException", Duration: time.Second, Upstream: 2 * time.Second, FirstToken: time.Second, Usage: &Usage{Output: 3}})
	body := scrape(t, m)
	const l = `converse_backend="b",converse_operation="ConverseStream",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="m"`
	for _, want := range []string{
		`gen_ai_server_request_duration_seconds_sum{converse_backend="b",converse_operation="ConverseStream",error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="m"} 5`,
		`gen_ai_server_request_duration_seconds_sum{converse_backend="b",converse_operation="ConverseStream",error_type="ThrottlingException",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="m"} 1`,
		`converse_overhead_seconds_sum{converse_backend="b",converse_operation="ConverseStream",gen_ai_provider_name="openai"} 1`,
		`converse_overhead_seconds_count{converse_backend="b",converse_operation="ConverseStream",gen_ai_provider_name="openai"} 2`,
		`gen_ai_server_time_to_first_token_seconds_count{` + l + `} 1`,
		`gen_ai_server_time_per_output_token_seconds_sum{` + l + `} 0.5`, // (5-1)/(9-1)
		`gen_ai_client_token_usage_sum{` + l + `,gen_ai_token_type="input"} 60`,
		`gen_ai_client_token_usage_sum{` + l + `,gen_ai_token_type="output"} 9`,
		`converse_tokens_total{converse_backend="b",gen_ai_provider_name="openai",gen_ai_request_model="m",gen_ai_token_type="cache_read"} 20`,
		`converse_tokens_total{converse_backend="b",gen_ai_provider_name="openai",gen_ai_request_model="m",gen_ai_token_type="input"} 10`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// Record remembers each label combination's series; the exposition is what
// looking every series up each time gave: counts accumulate, and a series
// never observed (the time to first token of a Converse call, tokens of a
// type never used) does not appear, not even empty.
func TestRecordRemembersSeries(t *testing.T) {
	m := New(Options{})
	a := Attrs{Operation: "Converse", Provider: "openai", Model: "m", Backend: "b"}
	for range 3 {
		m.Record(Call{Attrs: a, Duration: time.Second, Upstream: time.Second / 2, Usage: &Usage{Input: 2, Output: 1}})
	}
	body := scrape(t, m)
	const l = `converse_backend="b",converse_operation="Converse",gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="m"`
	for _, want := range []string{
		`converse_overhead_seconds_count{converse_backend="b",converse_operation="Converse",gen_ai_provider_name="openai"} 3`,
		`gen_ai_client_token_usage_sum{` + l + `,gen_ai_token_type="input"} 6`,
		`converse_tokens_total{converse_backend="b",gen_ai_provider_name="openai",gen_ai_request_model="m",gen_ai_token_type="output"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, absent := range []string{"gen_ai_server_time_to_first_token_seconds_count{", "gen_ai_server_time_per_output_token_seconds_count{", `gen_ai_token_type="cache_read"`} {
		if strings.Contains(body, absent) {
			t.Errorf("metrics show a series never observed: %s", absent)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		m.Record(Call{Attrs: a, Duration: time.Second, Usage: &Usage{Input: 2, Output: 1}})
	}); n > 1 {
		t.Errorf("Record of a known series: %v allocations, want at most 1", n)
	}
}

// BenchmarkRecord is the router's cost per finished call: a successful
// stream with usage, the most instruments one call touches; Prometheus
// alone, and with an OpenTelemetry meter too (collected by nobody, as
// between two exports).
func BenchmarkRecord(b *testing.B) {
	b.Run("prometheus", func(b *testing.B) { benchmarkRecord(b, New(Options{})) })
	b.Run("prometheus+otel", func(b *testing.B) {
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer mp.Shutdown(context.Background())
		benchmarkRecord(b, New(Options{MeterProvider: mp}))
	})
}

func benchmarkRecord(b *testing.B, m *Metrics) {
	c := Call{Attrs: Attrs{Operation: "ConverseStream", Provider: "openai", Model: "m", Backend: "b"},
		Duration: 5 * time.Second, Upstream: 4 * time.Second, FirstToken: time.Second,
		Usage: &Usage{Input: 10, Output: 9, CacheRead: 20, CacheWrite: 30}}
	b.ReportAllocs()
	for b.Loop() {
		m.Record(c)
	}
}
