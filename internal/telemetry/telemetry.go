// Package telemetry builds converse's OpenTelemetry tracing and metrics
// export from its configuration and the standard OTEL_* environment
// variables: a TracerProvider exporting over OTLP (HTTP or gRPC), the
// propagator for W3C trace context, and a MeterProvider exporting
// periodically over OTLP. Nothing here is global: cmd/converse hands the
// results to the server, the router, the metrics and the backends' HTTP
// transports. Each signal is off unless asked for, and then nothing is
// built for it at all.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// OTLP protocols (OTEL_EXPORTER_OTLP_PROTOCOL values).
const (
	ProtocolGRPC = "grpc"
	ProtocolHTTP = "http/protobuf"
)

// Options configure tracing and metrics; each zero field leaves the choice
// to the OTEL_* environment variables, then to the defaults.
type Options struct {
	// Enabled turns tracing on or off. nil: on when OTEL_TRACES_EXPORTER
	// names otlp. OTEL_SDK_DISABLED=true turns it off regardless.
	Enabled *bool
	// Metrics turns the OTLP export of metrics on or off. nil: on when
	// OTEL_METRICS_EXPORTER names otlp. OTEL_SDK_DISABLED=true turns it
	// off regardless.
	Metrics *bool
	// MetricInterval is the time between two metric exports. 0:
	// OTEL_METRIC_EXPORT_INTERVAL (milliseconds), else one minute.
	MetricInterval time.Duration
	// Protocol is grpc or http/protobuf. "": OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
	// (OTEL_EXPORTER_OTLP_METRICS_PROTOCOL for metrics),
	// OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.
	Protocol string
	// Endpoint is the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT:
	// http://collector:4318 (HTTP; /v1/traces and /v1/metrics are
	// appended) or http://collector:4317 (gRPC); http:// means no TLS. "":
	// the exporters read OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
	// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT and OTEL_EXPORTER_OTLP_ENDPOINT,
	// else localhost.
	Endpoint string
	// SampleRatio samples this fraction of new traces (0 to 1), following
	// the caller's decision when it sent one. nil: OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG, else every trace (parentbased_always_on).
	SampleRatio *float64
	// ServiceName is service.name. "": OTEL_SERVICE_NAME, else "converse".
	ServiceName string
	// Version is service.version.
	Version string
}

// Telemetry is what the components need. The zero value (both signals
// off) has nil fields, which every component takes as "do not trace" and
// "Prometheus only".
type Telemetry struct {
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	// MeterProvider exports the metrics over OTLP; nil when that is off.
	MeterProvider metric.MeterProvider
	shutdown      []func(context.Context) error
}

// Enabled reports whether spans are made.
func (t *Telemetry) Enabled() bool { return t.TracerProvider != nil }

// MetricsEnabled reports whether metrics are exported over OTLP.
func (t *Telemetry) MetricsEnabled() bool { return t.MeterProvider != nil }

// Shutdown exports the spans still buffered and the metrics' final
// values, and stops the exporters.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	for _, f := range t.shutdown {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// signal is what differs between exporting traces and metrics.
type signal struct {
	name     string // OTEL_<NAME>_EXPORTER, OTEL_EXPORTER_OTLP_<NAME>_*
	path     string // OTLP/HTTP path appended to a base endpoint
	exporter string // the variable naming the exporter
}

var (
	traces  = signal{name: "TRACES", path: "/v1/traces", exporter: "OTEL_TRACES_EXPORTER"}
	metrics = signal{name: "METRICS", path: "/v1/metrics", exporter: "OTEL_METRICS_EXPORTER"}
)

// Describe says where spans go, for the start-up message.
func (o Options) Describe() string { return o.describe(traces) }

// DescribeMetrics says where metrics go, for the start-up message.
func (o Options) DescribeMetrics() string { return o.describe(metrics) }

func (o Options) describe(s signal) string {
	p, _ := o.protocol(s)
	if o.Endpoint != "" {
		return p + " " + o.Endpoint
	}
	if e := cmpEnv("OTEL_EXPORTER_OTLP_"+s.name+"_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"); e != "" {
		return p + " " + e
	}
	return p + " (default endpoint)"
}

// New builds tracing and metrics export from o and the environment; it
// returns a zero Telemetry when both are off.
func New(ctx context.Context, o Options) (*Telemetry, error) {
	tracing, err := o.enabled(traces, o.Enabled)
	if err != nil {
		return nil, err
	}
	metering, err := o.enabled(metrics, o.Metrics)
	if err != nil {
		return nil, err
	}
	t := &Telemetry{}
	if !tracing && !metering {
		return t, nil
	}
	res, err := o.resource(ctx)
	if err != nil {
		return nil, err
	}
	if tracing {
		if err := o.tracing(ctx, t, res); err != nil {
			return nil, err
		}
	}
	if metering {
		if err := o.metering(ctx, t, res); err != nil {
			_ = t.Shutdown(ctx)
			return nil, err
		}
	}
	return t, nil
}

func (o Options) tracing(ctx context.Context, t *Telemetry, res *resource.Resource) error {
	if r := o.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		return fmt.Errorf("telemetry sample ratio %v: want a number from 0 to 1", *r)
	}
	prop, err := propagator(os.Getenv("OTEL_PROPAGATORS"))
	if err != nil {
		return err
	}
	exp, err := o.exporter(ctx)
	if err != nil {
		return err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if o.SampleRatio != nil {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*o.SampleRatio))))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	t.TracerProvider, t.Propagator = tp, prop
	t.shutdown = append(t.shutdown, tp.Shutdown)
	return nil
}

// metering builds a MeterProvider whose periodic reader exports every
// interval. The instruments' bucket boundaries are the ones they declare
// (internal/metrics), unless OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION
// asks for exponential histograms.
func (o Options) metering(ctx context.Context, t *Telemetry, res *resource.Resource) error {
	if o.MetricInterval < 0 {
		return fmt.Errorf("telemetry metric export interval %v: want a positive duration", o.MetricInterval)
	}
	exp, err := o.metricExporter(ctx)
	if err != nil {
		return err
	}
	var opts []sdkmetric.PeriodicReaderOption
	if o.MetricInterval > 0 {
		opts = append(opts, sdkmetric.WithInterval(o.MetricInterval))
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, opts...)), sdkmetric.WithResource(res))
	t.MeterProvider = mp
	t.shutdown = append(t.shutdown, mp.Shutdown)
	return nil
}

// enabled decides whether signal s is exported: OTEL_SDK_DISABLED, then
// the configured choice, then the signal's OTEL_*_EXPORTER (checked even
// when the configuration decides, so a typo is not silently ignored).
func (o Options) enabled(s signal, configured *bool) (bool, error) {
	if v := os.Getenv("OTEL_SDK_DISABLED"); v != "" {
		disabled, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("OTEL_SDK_DISABLED=%q: want true or false", v)
		}
		if disabled {
			return false, nil
		}
	}
	exporters := os.Getenv(s.exporter)
	envOn := false
	for e := range strings.SplitSeq(exporters, ",") {
		switch strings.TrimSpace(e) {
		case "", "none":
		case "otlp":
			envOn = true
		default:
			hint := ""
			if s.name == metrics.name {
				hint = "; Prometheus metrics are served on -metrics-addr"
			}
			return false, fmt.Errorf("%s=%q: converse exports %s over otlp only (or none)%s", s.exporter, exporters, strings.ToLower(s.name), hint)
		}
	}
	if configured != nil {
		return *configured, nil
	}
	return envOn, nil
}

func (o Options) protocol(s signal) (string, error) {
	p := o.Protocol
	if p == "" {
		p = cmpEnv("OTEL_EXPORTER_OTLP_"+s.name+"_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "", ProtocolHTTP:
		return ProtocolHTTP, nil
	case ProtocolGRPC:
		return ProtocolGRPC, nil
	}
	return "", fmt.Errorf("OTLP protocol %q: use grpc or http/protobuf (http/json is not supported)", p)
}

// endpoint parses the configured base URL; nil when none is configured.
func (o Options) endpoint() (*url.URL, error) {
	if o.Endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("telemetry endpoint %q: want an http:// or https:// URL", o.Endpoint)
	}
	return u, nil
}

// withPath is base with the signal's OTLP/HTTP path after its own, as
// OTEL_EXPORTER_OTLP_ENDPOINT is used.
func withPath(base *url.URL, s signal) string {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + s.path
	return u.String()
}

func (o Options) exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	p, err := o.protocol(traces)
	if err != nil {
		return nil, err
	}
	u, err := o.endpoint()
	if err != nil {
		return nil, err
	}
	if p == ProtocolGRPC {
		var opts []otlptracegrpc.Option
		if u != nil {
			opts = append(opts, otlptracegrpc.WithEndpointURL(u.String()))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp grpc exporter: %w", err)
		}
		return exp, nil
	}
	var opts []otlptracehttp.Option
	if u != nil {
		opts = append(opts, otlptracehttp.WithEndpointURL(withPath(u, traces)))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp http exporter: %w", err)
	}
	return exp, nil
}

func (o Options) metricExporter(ctx context.Context) (sdkmetric.Exporter, error) {
	p, err := o.protocol(metrics)
	if err != nil {
		return nil, err
	}
	u, err := o.endpoint()
	if err != nil {
		return nil, err
	}
	if p == ProtocolGRPC {
		var opts []otlpmetricgrpc.Option
		if u != nil {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(u.String()))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("otlp grpc metric exporter: %w", err)
		}
		return exp, nil
	}
	var opts []otlpmetrichttp.Option
	if u != nil {
		opts = append(opts, otlpmetrichttp.WithEndpointURL(withPath(u, metrics)))
	}
	exp, err := otlpmetrichttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp http metric exporter: %w", err)
	}
	return exp, nil
}

// resource names the service: the default, then OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, then the configured name, each overriding the
// one before.
func (o Options) resource(ctx context.Context) (*resource.Resource, error) {
	base := []resource.Option{
		resource.WithAttributes(semconv.ServiceName("converse")),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	}
	if o.Version != "" {
		base = append(base, resource.WithAttributes(semconv.ServiceVersion(o.Version)))
	}
	if o.ServiceName != "" {
		base = append(base, resource.WithAttributes(semconv.ServiceName(o.ServiceName)))
	}
	res, err := resource.New(ctx, base...)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return res, nil
}

// propagator follows OTEL_PROPAGATORS for the values the core library
// implements: tracecontext (W3C traceparent/tracestate), baggage, none.
func propagator(env string) (propagation.TextMapPropagator, error) {
	if strings.TrimSpace(env) == "" {
		env = "tracecontext,baggage"
	}
	var ps []propagation.TextMapPropagator
	for name := range strings.SplitSeq(env, ",") {
		switch strings.TrimSpace(name) {
		case "tracecontext":
			ps = append(ps, propagation.TraceContext{})
		case "baggage":
			ps = append(ps, propagation.Baggage{})
		case "none":
		default:
			return nil, fmt.Errorf("OTEL_PROPAGATORS=%q: converse supports tracecontext, baggage and none", env)
		}
	}
	return propagation.NewCompositeTextMapPropagator(ps...), nil
}

func cmpEnv(keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
}
