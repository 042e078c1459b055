package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// The quota counters (internal/ratelimit). Their Prometheus labels predate
// the OpenTelemetry names and stay as they were.
var (
	quotaDecisions = instrument{
		name: "converse.ratelimit.decisions", unit: "{decision}",
		help:  "Quota admissions by rule and result: allowed, throttled, quota_exceeded (can never fit), fail_open and fail_closed (the quota store failed).",
		attrs: []string{"converse.ratelimit.rule", "converse.ratelimit.result"},
		prom:  []string{"rule", "result"},
	}
	redisErrors = instrument{
		name: "converse.redis.errors", unit: "{error}",
		help:  "Failed Redis operations by component (ratelimit) and operation (admit, settle).",
		attrs: []string{"converse.component", "converse.redis.operation"},
		prom:  []string{"component", "op"},
	}
)

// quotaMetrics are the quota counters, kept apart from the call metrics so
// that each can change without the other.
type quotaMetrics struct {
	decisions   *prometheus.CounterVec
	redisErrors *prometheus.CounterVec
}

func newQuotaMetrics(reg *prometheus.Registry) quotaMetrics {
	q := quotaMetrics{decisions: counter(quotaDecisions), redisErrors: counter(redisErrors)}
	reg.MustRegister(q.decisions, q.redisErrors)
	return q
}

// QuotaDecision records one quota admission.
func (m *Metrics) QuotaDecision(rule, result string) {
	if m == nil {
		return
	}
	m.quota.decisions.WithLabelValues(rule, result).Inc()
	if m.otel != nil {
		m.otel.quotaDecisions.Add(context.Background(), 1, m.otel.quotaDecisionAttrs.get(rule, result)...)
	}
}

// RedisError records a failed Redis operation.
func (m *Metrics) RedisError(component, op string) {
	if m == nil {
		return
	}
	m.quota.redisErrors.WithLabelValues(component, op).Inc()
	if m.otel != nil {
		m.otel.redisErrors.Add(context.Background(), 1, m.otel.redisErrorAttrs.get(component, op)...)
	}
}
