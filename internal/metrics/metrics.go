// Package metrics owns converse's Prometheus registry and every metric
// name. Instruments are named and attributed by the OpenTelemetry GenAI
// semantic conventions (gen_ai.server.request.duration,
// gen_ai.client.token.usage …, with the spec's bucket boundaries); the
// Prometheus names follow the OpenTelemetry-to-Prometheus mapping (dots
// become underscores, the unit "s" a _seconds suffix). Instruments of
// converse's own are converse.-prefixed.
//
// Every attribute value comes from a closed set, never from what a client
// sends: model IDs are the router's bounded label (a catalogue ID, a route
// pattern or "unknown"), backends are configured names, errors are
// exception types. The instruments are declared once, as OpenTelemetry
// describes them (name, unit, boundaries, attribute keys); with
// Options.MeterProvider set, an OpenTelemetry meter records the same values
// under the dotted names beside the Prometheus registry (for OTLP export).
package metrics

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelmetric "go.opentelemetry.io/otel/metric"
)

// Attribute keys (OpenTelemetry names; Prometheus labels replace dots with
// underscores).
const (
	AttrOperationName = "gen_ai.operation.name" // chat, or embeddings
	AttrProviderName  = "gen_ai.provider.name"  // openai, anthropic, aws.bedrock, converse …
	AttrRequestModel  = "gen_ai.request.model"  // bounded: see Attrs.Model
	AttrTokenType     = "gen_ai.token.type"     // input, output (cache_read, cache_write on converse.tokens)
	AttrErrorType     = "error.type"            // exception type; absent (empty) on success
	AttrOperation     = "converse.operation"    // Converse, ConverseStream, InvokeModel, …
	AttrBackend       = "converse.backend"      // backend name from the configuration
	AttrCacheResult   = "converse.cache.result" // hit or miss
)

// OperationChat is gen_ai.operation.name for Converse and ConverseStream
// (and InvokeModel with a chat model's body), OperationEmbeddings for
// InvokeModel on an embedding model.
const (
	OperationChat       = "chat"
	OperationEmbeddings = "embeddings"
)

// Unknown labels a model or backend the router could not name from a closed
// set, and None a call that never reached a backend.
const (
	Unknown = "unknown"
	None    = "none"
)

// instrument is one metric as OpenTelemetry declares it.
type instrument struct {
	name    string // OpenTelemetry instrument name
	unit    string // UCUM
	help    string
	buckets []float64 // explicit bucket boundaries; nil for counters
	attrs   []string  // attribute keys, in label order
	// prom, when set, are the Prometheus label names in place of the
	// attribute keys' mapping (labels that predate the OTel names).
	prom []string
}

// promName maps an instrument to its Prometheus name as the OpenTelemetry
// Prometheus exporter does: dots to underscores, a unit suffix for seconds,
// none for annotations such as {token}, _total on counters.
func (in instrument) promName() string {
	n := strings.ReplaceAll(in.name, ".", "_")
	if in.unit == "s" {
		n += "_seconds"
	}
	if in.buckets == nil {
		n += "_total"
	}
	return n
}

func (in instrument) labels() []string {
	if in.prom != nil {
		return in.prom
	}
	out := make([]string, len(in.attrs))
	for i, a := range in.attrs {
		out[i] = strings.ReplaceAll(a, ".", "_")
	}
	return out
}

// Bucket boundaries from the GenAI semantic conventions (gen-ai-metrics.md,
// "This metric SHOULD be specified with ExplicitBucketBoundaries of …").
var (
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	ttftBuckets     = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}
	tpotBuckets     = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	// converse's own cost per request: microseconds to a second.
	overheadBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
)

var callAttrs = []string{AttrOperationName, AttrOperation, AttrProviderName, AttrRequestModel, AttrBackend}

// The instruments. README.md lists them; TestInstrumentNames pins the
// Prometheus spelling.
var (
	requestDuration = instrument{
		name: "gen_ai.server.request.duration", unit: "s", buckets: durationBuckets,
		help:  "Time from converse having read a request to its last byte handed to the client (OTel gen_ai.server.request.duration); error_type is set on failures.",
		attrs: append(callAttrs[:len(callAttrs):len(callAttrs)], AttrErrorType),
	}
	timeToFirstToken = instrument{
		name: "gen_ai.server.time_to_first_token", unit: "s", buckets: ttftBuckets,
		help:  "Time from converse having read a stream request to its first content event, for successful streams (OTel gen_ai.server.time_to_first_token).",
		attrs: callAttrs,
	}
	timePerOutputToken = instrument{
		name: "gen_ai.server.time_per_output_token", unit: "s", buckets: tpotBuckets,
		help:  "(duration - time to first token) / (output tokens - 1) of successful streams (OTel gen_ai.server.time_per_output_token).",
		attrs: callAttrs,
	}
	tokenUsage = instrument{
		name: "gen_ai.client.token.usage", unit: "{token}", buckets: tokenBuckets,
		help:  "Tokens per call by gen_ai_token_type (OTel gen_ai.client.token.usage): input includes cache reads and writes, as gen_ai.usage.input_tokens does.",
		attrs: append(callAttrs[:len(callAttrs):len(callAttrs)], AttrTokenType),
	}
	overhead = instrument{
		name: "converse.overhead", unit: "s", buckets: overheadBuckets,
		help:  "Per request, converse's own time: gen_ai.server.request.duration minus the time spent waiting on backends (every attempt, fallbacks included).",
		attrs: []string{AttrOperation, AttrProviderName, AttrBackend},
	}
	tokens = instrument{
		name: "converse.tokens", unit: "{token}",
		help:  "Tokens by gen_ai_token_type as Bedrock reports them: input (not from or into the cache), output, cache_read, cache_write. Cache hit ratio = cache_read / (input + cache_read + cache_write).",
		attrs: []string{AttrProviderName, AttrRequestModel, AttrBackend, AttrTokenType},
	}
	fallbacks = instrument{
		name: "converse.fallbacks", unit: "{fallback}",
		help:  "Calls moved on to the next backend of a route, by the backend that failed and its error.",
		attrs: []string{AttrRequestModel, AttrBackend, AttrErrorType},
	}
	cacheLookups = instrument{
		name: "converse.prompt_cache.lookups", unit: "{lookup}",
		help:  "Prompt-cache lookups by model and result (hit, miss).",
		attrs: []string{AttrRequestModel, AttrCacheResult},
	}
	invocationLogDropped = instrument{
		name: "converse.invocation_log.dropped", unit: "{record}",
		help: "Invocation log records dropped because the queue to the writer was full (a slow or failing disk).",
	}
)

// Options configure Metrics; the zero value is Prometheus alone.
type Options struct {
	// MeterProvider, when set, records every measurement a second time on
	// an OpenTelemetry meter (the OTLP exporter's), with the instruments'
	// dotted names. nil: nothing but the Prometheus registry, at no cost.
	MeterProvider otelmetric.MeterProvider
}

// Metrics records what the router sees. A nil *Metrics records nothing, so
// components built without metrics (tests) need no special case.
type Metrics struct {
	reg                            *prometheus.Registry
	duration, ttft, tpot, usage    *prometheus.HistogramVec
	overhead                       *prometheus.HistogramVec
	tokens, fallbacks, cacheLookup *prometheus.CounterVec
	quota                          quotaMetrics
	otel                           *meter // nil without a MeterProvider
	// prom holds each label combination's Prometheus instruments once
	// looked up (promKey → *promSeries), so Record hashes no label values;
	// the combinations are as bounded as the labels themselves.
	prom sync.Map
}

type promKey struct {
	Attrs
	errorType string
}

// promSeries are the Prometheus instruments Record touches for one
// combination of labels, each looked up the first time it is needed (a
// series nobody observed must not appear in the exposition, even empty).
type promSeries struct {
	values                        []string // gen_ai.operation.name … converse.backend
	duration, overhead            prometheus.Observer
	ttft, tpot, usageIn, usageOut lazy[prometheus.Observer]
	tokens                        [4]lazy[prometheus.Counter] // as tokenTypes
}

// lazy is a value made on first use.
type lazy[T any] struct{ p atomic.Pointer[T] }

func (l *lazy[T]) get(make func() T) T {
	if p := l.p.Load(); p != nil {
		return *p
	}
	v := make()
	l.p.CompareAndSwap(nil, &v)
	return *l.p.Load()
}

func (m *Metrics) promSeriesOf(c *Call) *promSeries {
	key := promKey{c.Attrs, c.ErrorType}
	if s, ok := m.prom.Load(key); ok {
		return s.(*promSeries)
	}
	v := c.values()
	s := &promSeries{
		values:   v,
		duration: m.duration.WithLabelValues(append(v[:len(v):len(v)], c.ErrorType)...),
		overhead: m.overhead.WithLabelValues(c.Operation, c.Provider, c.Backend),
	}
	got, _ := m.prom.LoadOrStore(key, s)
	return got.(*promSeries)
}

func histogram(in instrument) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: in.promName(), Help: in.help, Buckets: in.buckets}, in.labels())
}

func counter(in instrument) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: in.promName(), Help: in.help}, in.labels())
}

// New returns metrics on a registry of their own (never the global one),
// with the Go runtime and process collectors. Like the registry's
// MustRegister it panics if an instrument is refused, which only a wrong
// declaration above can cause (TestInstrumentNames builds them all).
func New(opts Options) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		reg:         reg,
		duration:    histogram(requestDuration),
		ttft:        histogram(timeToFirstToken),
		tpot:        histogram(timePerOutputToken),
		usage:       histogram(tokenUsage),
		overhead:    histogram(overhead),
		tokens:      counter(tokens),
		fallbacks:   counter(fallbacks),
		cacheLookup: counter(cacheLookups),
	}
	reg.MustRegister(m.duration, m.ttft, m.tpot, m.usage, m.overhead, m.tokens, m.fallbacks, m.cacheLookup)
	m.quota = newQuotaMetrics(reg)
	if opts.MeterProvider != nil {
		o, err := newMeter(opts.MeterProvider)
		if err != nil {
			panic(err)
		}
		m.otel = o
	}
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Attrs are the attributes every call carries. All values come from
// closed sets.
type Attrs struct {
	// Operation is the Bedrock operation: Converse, ConverseStream,
	// InvokeModel or InvokeModelWithResponseStream.
	Operation string
	// Provider is the backend's gen_ai.provider.name (openai, anthropic,
	// aws.bedrock, converse for the built-in model), or None.
	Provider string
	// Model is the served model: its catalogue ID, else the route pattern
	// that matched, else Unknown. Never the ID as a client sent it.
	Model string
	// Backend is the configured backend name, or None.
	Backend string
	// GenAIOperation is gen_ai.operation.name: OperationChat when empty,
	// or OperationEmbeddings.
	GenAIOperation string
}

func (a Attrs) values() []string {
	op := a.GenAIOperation
	if op == "" {
		op = OperationChat
	}
	return []string{op, a.Operation, a.Provider, a.Model, a.Backend}
}

// Usage is the token usage of one call, Bedrock's way: Input excludes what
// was read from or written to the prompt cache.
type Usage struct {
	Input, Output, CacheRead, CacheWrite int
}

// Call is one finished call as the router saw it.
type Call struct {
	Attrs
	// ErrorType is "" on success, else the Bedrock exception type (or
	// "cancelled" when the client went away).
	ErrorType string
	// Duration is converse's time for the call: from the request having
	// been read to the last byte handed back.
	Duration time.Duration
	// Upstream is the part of Duration spent waiting on backends, summed
	// over every attempt.
	Upstream time.Duration
	// FirstToken is a stream's time to its first content event (same
	// origin as Duration); zero for Converse or a stream without content.
	FirstToken time.Duration
	// Usage is the call's token usage; nil when it failed or reported none.
	Usage *Usage
}

// tokenTypes are converse.tokens' gen_ai.token.type values, in the order
// of series.tokens.
var tokenTypes = [4]string{"input", "output", "cache_read", "cache_write"}

// Record records one finished call, on the Prometheus registry and, when
// configured, on the OpenTelemetry meter: the same values, computed once.
func (m *Metrics) Record(c Call) {
	if m == nil {
		return
	}
	// s holds the call's OTel attribute sets; nil without a meter, which
	// is then never touched.
	var s *series
	if m.otel != nil {
		s = m.otel.series(c.Attrs, c.ErrorType)
	}
	ctx := context.Background()
	p := m.promSeriesOf(&c)
	d := c.Duration.Seconds()
	p.duration.Observe(d)
	over := max(c.Duration-c.Upstream, 0).Seconds()
	p.overhead.Observe(over)
	if s != nil {
		m.otel.duration.Record(ctx, d, s.duration...)
		m.otel.overhead.Record(ctx, over, s.overhead...)
	}
	if c.ErrorType != "" {
		return
	}
	v := p.values
	if c.FirstToken > 0 {
		ttft := c.FirstToken.Seconds()
		p.ttft.get(func() prometheus.Observer { return m.ttft.WithLabelValues(v...) }).Observe(ttft)
		if s != nil {
			m.otel.ttft.Record(ctx, ttft, s.call...)
		}
		if u := c.Usage; u != nil && u.Output > 1 {
			tpot := (c.Duration - c.FirstToken).Seconds() / float64(u.Output-1)
			p.tpot.get(func() prometheus.Observer { return m.tpot.WithLabelValues(v...) }).Observe(tpot)
			if s != nil {
				m.otel.tpot.Record(ctx, tpot, s.call...)
			}
		}
	}
	u := c.Usage
	if u == nil {
		return
	}
	in := u.Input + u.CacheRead + u.CacheWrite
	p.usageIn.get(func() prometheus.Observer { return m.usage.WithLabelValues(append(v[:len(v):len(v)], "input")...) }).
		Observe(float64(in))
	p.usageOut.get(func() prometheus.Observer { return m.usage.WithLabelValues(append(v[:len(v):len(v)], "output")...) }).
		Observe(float64(u.Output))
	if s != nil {
		m.otel.usage.Record(ctx, int64(in), s.usageInput...)
		m.otel.usage.Record(ctx, int64(u.Output), s.usageOutput...)
	}
	for i, n := range [4]int{u.Input, u.Output, u.CacheRead, u.CacheWrite} {
		if n > 0 {
			p.tokens[i].get(func() prometheus.Counter {
				return m.tokens.WithLabelValues(c.Provider, c.Model, c.Backend, tokenTypes[i])
			}).Add(float64(n))
			if s != nil {
				m.otel.tokens.Add(ctx, int64(n), s.tokens[i]...)
			}
		}
	}
}

// Fallback records a call moving past a failed backend.
func (m *Metrics) Fallback(model, backend, errorType string) {
	if m == nil {
		return
	}
	m.fallbacks.WithLabelValues(model, backend, errorType).Inc()
	if m.otel != nil {
		m.otel.fallbacks.Add(context.Background(), 1, m.otel.fallbackAttrs.get(model, backend, errorType)...)
	}
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
	if m.otel != nil {
		m.otel.cacheLookups.Add(context.Background(), 1, m.otel.cacheLookupAttrs.get(model, result)...)
	}
}

// CountInvocationLogDrops publishes dropped, the invocation log's running
// count of dropped records, as converse.invocation_log.dropped. Call it
// once, with the one invocation log.
func (m *Metrics) CountInvocationLogDrops(dropped func() uint64) {
	if m == nil {
		return
	}
	in := invocationLogDropped
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: in.promName(), Help: in.help},
		func() float64 { return float64(dropped()) }))
	if m.otel != nil {
		if err := m.otel.observe(in, dropped); err != nil {
			panic(err)
		}
	}
}
