// Package metrics owns converse's Prometheus registry and every metric
// name. Names follow the OpenTelemetry GenAI semantic conventions where one
// exists (gen_ai.client.token.usage, gen_ai.server.time_to_first_token …,
// with dots as underscores) and are converse_-prefixed otherwise.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics records what the router sees. A nil *Metrics records nothing, so
// components built without metrics (tests) need no special case.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	ttft        *prometheus.HistogramVec
	tokens      *prometheus.CounterVec
	usageHist   *prometheus.HistogramVec
	fallbacks   *prometheus.CounterVec
	cacheLookup *prometheus.CounterVec
	quota       quotaMetrics
}

// New returns metrics on a registry of their own (never the global one),
// with the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_requests_total",
			Help: "Calls by operation, requested model, backend and outcome (ok or the Bedrock exception type).",
		}, []string{"operation", "model", "backend", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_server_request_duration_seconds",
			Help:    "Time from the router receiving a call to its last byte (OTel gen_ai.server.request.duration).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"operation", "model", "backend"}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_server_time_to_first_token_seconds",
			Help:    "Time until a stream's first content event (OTel gen_ai.server.time_to_first_token).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"model", "backend"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_tokens_total",
			Help: "Tokens by model and type: input (uncached), output, cache_read, cache_write. Cache hit ratio = cache_read / (input + cache_read + cache_write).",
		}, []string{"model", "type"}),
		usageHist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gen_ai_client_token_usage",
			Help:    "Tokens per call by type (OTel gen_ai.client.token.usage; input counts cached tokens too).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 12),
		}, []string{"model", "type"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_fallbacks_total",
			Help: "Calls moved to the next backend of a route, by the backend that failed.",
		}, []string{"model", "backend"}),
		cacheLookup: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_prompt_cache_lookups_total",
			Help: "Prompt-cache lookups by model and result (hit, miss).",
		}, []string{"model", "result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.ttft, m.tokens, m.usageHist, m.fallbacks, m.cacheLookup)
	m.quota = newQuotaMetrics(reg)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Usage is the token usage of one call, Bedrock's way: Input excludes what
// was read from or written to the prompt cache.
type Usage struct {
	Input, Output, CacheRead, CacheWrite int
}

// Call records one finished call.
func (m *Metrics) Call(operation, model, backend, outcome string, took time.Duration, u *Usage) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(operation, model, backend, outcome).Inc()
	m.duration.WithLabelValues(operation, model, backend).Observe(took.Seconds())
	if u == nil {
		return
	}
	for typ, n := range map[string]int{"input": u.Input, "output": u.Output, "cache_read": u.CacheRead, "cache_write": u.CacheWrite} {
		if n > 0 {
			m.tokens.WithLabelValues(model, typ).Add(float64(n))
		}
	}
	m.usageHist.WithLabelValues(model, "input").Observe(float64(u.Input + u.CacheRead + u.CacheWrite))
	m.usageHist.WithLabelValues(model, "output").Observe(float64(u.Output))
}

// FirstToken records a stream's time to its first content event.
func (m *Metrics) FirstToken(model, backend string, took time.Duration) {
	if m == nil {
		return
	}
	m.ttft.WithLabelValues(model, backend).Observe(took.Seconds())
}

// Fallback records a call moving past a failed backend.
func (m *Metrics) Fallback(model, backend string) {
	if m == nil {
		return
	}
	m.fallbacks.WithLabelValues(model, backend).Inc()
}

// CacheLookup records a prompt-cache lookup.
func (m *Metrics) CacheLookup(model string, hit bool) {
	if m == nil {
		return
	}
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cacheLookup.WithLabelValues(model, result).Inc()
}
