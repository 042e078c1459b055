package router

import (
	"time"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/telemetry/genai"
)

// record collects what metrics need about one call while the router
// works on it: where it went, how long it took, how much of that the
// backends took.
type record struct {
	m     *metrics.Metrics
	start time.Time
	call  metrics.Call
}

// begin starts the record of a call: from when the server had the request
// in hand, or from now when no server said.
func (r *Router) begin(operation string, c *provider.Call) *record {
	start := c.Received
	if start.IsZero() {
		start = time.Now()
	}
	return &record{m: r.opts.Metrics, start: start, call: metrics.Call{Attrs: metrics.Attrs{
		Operation: operation, Provider: metrics.None, Model: metrics.Unknown, Backend: metrics.None,
	}}}
}

// attempt notes the backend being tried: the last one tried labels the call.
func (rec *record) attempt(r *Router, t target) {
	rec.call.Backend = t.name
	rec.call.Provider = metrics.Unknown
	if n, ok := r.opts.ProviderNames[t.name]; ok {
		rec.call.Provider = n
	}
}

// upstream adds time spent waiting on a backend.
func (rec *record) upstream(d time.Duration) { rec.call.Upstream += d }

// firstToken notes a stream's first content event.
func (rec *record) firstToken() {
	if rec.call.FirstToken == 0 {
		rec.call.FirstToken = max(time.Since(rec.start), 1)
	}
}

// done records the finished call.
func (rec *record) done(err error, u *metrics.Usage) {
	rec.call.ErrorType = genai.ErrorType(err)
	rec.call.Duration = time.Since(rec.start)
	rec.call.Usage = u
	rec.m.Record(rec.call)
}
