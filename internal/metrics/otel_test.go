package metrics

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

func collect(t *testing.T, r sdkmetric.Reader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			t.Errorf("scope %q, want %q", sm.Scope.Name, scope)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// counts are a histogram's bucket counts for values, one each.
func counts(bounds []float64, values ...float64) []uint64 {
	out := make([]uint64, len(bounds)+1)
	for _, v := range values {
		i := 0
		for i < len(bounds) && v > bounds[i] {
			i++
		}
		out[i]++
	}
	return out
}

func hist[N int64 | float64](in instrument, set attribute.Set, values ...N) metricdata.HistogramDataPoint[N] {
	dp := metricdata.HistogramDataPoint[N]{Attributes: set, Count: uint64(len(values)), Bounds: in.buckets}
	var f []float64
	for i, v := range values {
		dp.Sum += v
		if lo, _ := dp.Min.Value(); i == 0 || v < lo {
			dp.Min = metricdata.NewExtrema(v)
		}
		if hi, _ := dp.Max.Value(); i == 0 || v > hi {
			dp.Max = metricdata.NewExtrema(v)
		}
		f = append(f, float64(v))
	}
	dp.BucketCounts = counts(in.buckets, f...)
	return dp
}

// The OpenTelemetry meter receives what Prometheus does, under the dotted
// names, with the declared units, bucket boundaries and attribute keys;
// error.type is absent on success.
func TestRecordOTel(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	m := New(Options{MeterProvider: mp})

	a := Attrs{Operation: "ConverseStream", Provider: "openai", Model: "m", Backend: "b"}
	ok := Call{Attrs: a, Duration: 5 * time.Second, Upstream: 4 * time.Second, FirstToken: time.Second,
		Usage: &Usage{Input: 10, Output: 9, CacheRead: 20, CacheWrite: 30}}
	m.Record(ok)
	m.Record(ok) // the cached attribute sets serve the second call
	m.Record(Call{Attrs: a, ErrorType: "ThrottlingException", Duration: time.Second, Upstream: 2 * time.Second, Usage: &Usage{Output: 3}})
	m.Fallback("m", "b", "ServiceUnavailableException")
	m.CacheLookup("m", true)
	m.CacheLookup("m", false)
	m.CacheLookup("m", false)
	m.QuotaDecision("ten-a-minute", "throttled")
	m.RedisError("ratelimit", "admit")
	var dropped atomic.Uint64
	dropped.Store(7)
	m.CountInvocationLogDrops(dropped.Load)

	call := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("converse.operation", "ConverseStream"),
		attribute.String("gen_ai.provider.name", "openai"), attribute.String("gen_ai.request.model", "m"),
		attribute.String("converse.backend", "b"),
	}
	with := func(kvs ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(call[:len(call):len(call)], kvs...)...)
	}
	over := attribute.NewSet(attribute.String("converse.operation", "ConverseStream"), attribute.String("gen_ai.provider.name", "openai"), attribute.String("converse.backend", "b"))
	tok := func(typ string) attribute.Set {
		return attribute.NewSet(attribute.String("gen_ai.provider.name", "openai"), attribute.String("gen_ai.request.model", "m"),
			attribute.String("converse.backend", "b"), attribute.String("gen_ai.token.type", typ))
	}
	sum := func(dps ...metricdata.DataPoint[int64]) metricdata.Sum[int64] {
		return metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: dps}
	}
	want := []metricdata.Metrics{
		{Name: "gen_ai.server.request.duration", Unit: "s", Description: requestDuration.help, Data: metricdata.Histogram[float64]{
			Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
				hist(requestDuration, with(), 5.0, 5.0),
				hist(requestDuration, with(attribute.String("error.type", "ThrottlingException")), 1.0),
			}}},
		{Name: "converse.overhead", Unit: "s", Description: overhead.help, Data: metricdata.Histogram[float64]{
			Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
				hist(overhead, over, 1.0, 1.0, 0.0), // upstream beyond duration counts as none
			}}},
		{Name: "gen_ai.server.time_to_first_token", Unit: "s", Description: timeToFirstToken.help, Data: metricdata.Histogram[float64]{
			Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{hist(timeToFirstToken, with(), 1.0, 1.0)}}},
		{Name: "gen_ai.server.time_per_output_token", Unit: "s", Description: timePerOutputToken.help, Data: metricdata.Histogram[float64]{
			Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{hist(timePerOutputToken, with(), 0.5, 0.5)}}}, // (5-1)/(9-1)
		{Name: "gen_ai.client.token.usage", Unit: "{token}", Description: tokenUsage.help, Data: metricdata.Histogram[int64]{
			Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[int64]{
				hist[int64](tokenUsage, with(attribute.String("gen_ai.token.type", "input")), 60, 60),
				hist[int64](tokenUsage, with(attribute.String("gen_ai.token.type", "output")), 9, 9),
			}}},
		{Name: "converse.tokens", Unit: "{token}", Description: tokens.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: tok("input"), Value: 20},
			metricdata.DataPoint[int64]{Attributes: tok("output"), Value: 18},
			metricdata.DataPoint[int64]{Attributes: tok("cache_read"), Value: 40},
			metricdata.DataPoint[int64]{Attributes: tok("cache_write"), Value: 60},
		)},
		{Name: "converse.fallbacks", Unit: "{fallback}", Description: fallbacks.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("gen_ai.request.model", "m"), attribute.String("converse.backend", "b"),
				attribute.String("error.type", "ServiceUnavailableException")), Value: 1},
		)},
		{Name: "converse.prompt_cache.lookups", Unit: "{lookup}", Description: cacheLookups.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("gen_ai.request.model", "m"), attribute.String("converse.cache.result", "hit")), Value: 1},
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("gen_ai.request.model", "m"), attribute.String("converse.cache.result", "miss")), Value: 2},
		)},
		{Name: "converse.ratelimit.decisions", Unit: "{decision}", Description: quotaDecisions.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("converse.ratelimit.rule", "ten-a-minute"), attribute.String("converse.ratelimit.result", "throttled")), Value: 1},
		)},
		{Name: "converse.redis.errors", Unit: "{error}", Description: redisErrors.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("converse.component", "ratelimit"), attribute.String("converse.redis.operation", "admit")), Value: 1},
		)},
		{Name: "converse.invocation_log.dropped", Unit: "{record}", Description: invocationLogDropped.help, Data: sum(
			metricdata.DataPoint[int64]{Attributes: attribute.NewSet(), Value: 7},
		)},
	}
	got := collect(t, reader)
	if len(got) != len(want) {
		t.Errorf("%d instruments collected, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := got[w.Name]
		if !ok {
			t.Errorf("no %s collected", w.Name)
			continue
		}
		metricdatatest.AssertEqual(t, w, g, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
	}

	// The drop count is read at each collection.
	dropped.Store(9)
	if dp := collect(t, reader)["converse.invocation_log.dropped"].Data.(metricdata.Sum[int64]).DataPoints; len(dp) != 1 || dp[0].Value != 9 {
		t.Errorf("converse.invocation_log.dropped %v after more drops, want 9", dp)
	}
}

// The drop count reaches the Prometheus exposition as a counter.
func TestInvocationLogDropsPrometheus(t *testing.T) {
	m := New(Options{})
	n := uint64(3)
	m.CountInvocationLogDrops(func() uint64 { return n })
	n = 5
	body := scrape(t, m)
	for _, want := range []string{"# TYPE converse_invocation_log_dropped_total counter\n", "\nconverse_invocation_log_dropped_total 5\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	var none *Metrics
	none.CountInvocationLogDrops(func() uint64 { return 1 }) // no panic
}
