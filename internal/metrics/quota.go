package metrics

import "github.com/prometheus/client_golang/prometheus"

// quotaMetrics are the quota counters (internal/ratelimit), kept apart
// from the call metrics so that each can change without the other.
type quotaMetrics struct {
	decisions   *prometheus.CounterVec
	redisErrors *prometheus.CounterVec
}

func newQuotaMetrics(reg *prometheus.Registry) quotaMetrics {
	q := quotaMetrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_ratelimit_decisions_total",
			Help: "Quota admissions by rule and result: allowed, throttled, quota_exceeded (can never fit), fail_open and fail_closed (the quota store failed).",
		}, []string{"rule", "result"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "converse_redis_errors_total",
			Help: "Failed Redis operations by component (ratelimit) and operation (admit, settle).",
		}, []string{"component", "op"}),
	}
	reg.MustRegister(q.decisions, q.redisErrors)
	return q
}

// QuotaDecision records one quota admission.
func (m *Metrics) QuotaDecision(rule, result string) {
	if m == nil {
		return
	}
	m.quota.decisions.WithLabelValues(rule, result).Inc()
}

// RedisError records a failed Redis operation.
func (m *Metrics) RedisError(component, op string) {
	if m == nil {
		return
	}
	m.quota.redisErrors.WithLabelValues(component, op).Inc()
}
