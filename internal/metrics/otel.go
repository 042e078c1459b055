package metrics

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	otelmetric "go.opentelemetry.io/otel/metric"
)

// scope names the instrumentation scope of converse's instruments.
const scope = "github.com/conversekit/converse"

// meter holds the instruments on an OpenTelemetry meter and caches the
// attribute sets of the series seen so far: every attribute value comes
// from a closed set, so the caches are bounded as the Prometheus series
// are, and a call costs map look-ups rather than building and sorting sets.
type meter struct {
	duration, ttft, tpot, overhead otelmetric.Float64Histogram
	usage                          otelmetric.Int64Histogram
	tokens, fallbacks              otelmetric.Int64Counter
	cacheLookups                   otelmetric.Int64Counter
	quotaDecisions, redisErrors    otelmetric.Int64Counter
	m                              otelmetric.Meter

	mu  sync.RWMutex
	all map[seriesKey]*series

	fallbackAttrs, cacheLookupAttrs     attrCache
	quotaDecisionAttrs, redisErrorAttrs attrCache
}

func newMeter(mp otelmetric.MeterProvider) (*meter, error) {
	o := &meter{
		m:                  mp.Meter(scope),
		all:                map[seriesKey]*series{},
		fallbackAttrs:      attrCache{in: fallbacks},
		cacheLookupAttrs:   attrCache{in: cacheLookups},
		quotaDecisionAttrs: attrCache{in: quotaDecisions},
		redisErrorAttrs:    attrCache{in: redisErrors},
	}
	var errs []error
	f64 := func(in instrument) otelmetric.Float64Histogram {
		h, err := o.m.Float64Histogram(in.name, otelmetric.WithUnit(in.unit), otelmetric.WithDescription(in.help),
			otelmetric.WithExplicitBucketBoundaries(in.buckets...))
		errs = append(errs, err)
		return h
	}
	i64 := func(in instrument) otelmetric.Int64Histogram {
		h, err := o.m.Int64Histogram(in.name, otelmetric.WithUnit(in.unit), otelmetric.WithDescription(in.help),
			otelmetric.WithExplicitBucketBoundaries(in.buckets...))
		errs = append(errs, err)
		return h
	}
	count := func(in instrument) otelmetric.Int64Counter {
		c, err := o.m.Int64Counter(in.name, otelmetric.WithUnit(in.unit), otelmetric.WithDescription(in.help))
		errs = append(errs, err)
		return c
	}
	o.duration, o.ttft, o.tpot, o.overhead = f64(requestDuration), f64(timeToFirstToken), f64(timePerOutputToken), f64(overhead)
	o.usage = i64(tokenUsage)
	o.tokens, o.fallbacks, o.cacheLookups = count(tokens), count(fallbacks), count(cacheLookups)
	o.quotaDecisions, o.redisErrors = count(quotaDecisions), count(redisErrors)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: OpenTelemetry instruments: %w", err)
	}
	return o, nil
}

// observe publishes a running count read at each collection.
func (o *meter) observe(in instrument, n func() uint64) error {
	_, err := o.m.Int64ObservableCounter(in.name, otelmetric.WithUnit(in.unit), otelmetric.WithDescription(in.help),
		otelmetric.WithInt64Callback(func(_ context.Context, obs otelmetric.Int64Observer) error {
			obs.Observe(int64(n()))
			return nil
		}))
	if err != nil {
		return fmt.Errorf("metrics: OpenTelemetry instrument %s: %w", in.name, err)
	}
	return nil
}

// seriesKey identifies the attribute sets of one call.
type seriesKey struct {
	Attrs
	errorType string
}

// series are one call's attribute sets, each wrapped as the option the
// instruments take, so recording allocates nothing.
type series struct {
	duration, overhead, call []otelmetric.RecordOption
	usageInput, usageOutput  []otelmetric.RecordOption
	tokens                   [len(tokenTypes)][]otelmetric.AddOption
}

func (o *meter) series(a Attrs, errorType string) *series {
	k := seriesKey{a, errorType}
	o.mu.RLock()
	s := o.all[k]
	o.mu.RUnlock()
	if s != nil {
		return s
	}
	v := a.values()
	s = &series{
		duration:    record(requestDuration, append(v, errorType)...),
		overhead:    record(overhead, a.Operation, a.Provider, a.Backend),
		call:        record(timeToFirstToken, v...),
		usageInput:  record(tokenUsage, append(v, "input")...),
		usageOutput: record(tokenUsage, append(v, "output")...),
	}
	for i, typ := range tokenTypes {
		s.tokens[i] = add(tokens, a.Provider, a.Model, a.Backend, typ)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if prev := o.all[k]; prev != nil {
		return prev
	}
	o.all[k] = s
	return s
}

// set pairs in's attribute keys with values, leaving out empty values (as
// Prometheus does): error.type is absent on success, as the conventions ask.
func set(in instrument, values ...string) attribute.Set {
	kvs := make([]attribute.KeyValue, 0, len(in.attrs))
	for i, k := range in.attrs {
		if values[i] != "" {
			kvs = append(kvs, attribute.String(k, values[i]))
		}
	}
	return attribute.NewSet(kvs...)
}

func record(in instrument, values ...string) []otelmetric.RecordOption {
	return []otelmetric.RecordOption{otelmetric.WithAttributeSet(set(in, values...))}
}

func add(in instrument, values ...string) []otelmetric.AddOption {
	return []otelmetric.AddOption{otelmetric.WithAttributeSet(set(in, values...))}
}

// attrCache remembers the attribute sets of a counter with up to four
// attributes.
type attrCache struct {
	in  instrument
	mu  sync.RWMutex
	all map[[4]string][]otelmetric.AddOption
}

func (c *attrCache) get(values ...string) []otelmetric.AddOption {
	var k [4]string
	copy(k[:], values)
	c.mu.RLock()
	opts, ok := c.all[k]
	c.mu.RUnlock()
	if ok {
		return opts
	}
	opts = add(c.in, values...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.all == nil {
		c.all = map[[4]string][]otelmetric.AddOption{}
	}
	c.all[k] = opts
	return opts
}
