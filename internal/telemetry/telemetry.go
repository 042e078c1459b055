// Package telemetry builds converse's OpenTelemetry tracing from its
// configuration and the standard OTEL_* environment variables: a
// TracerProvider exporting over OTLP (HTTP or gRPC) and the propagator
// for W3C trace context. Nothing here is global: cmd/converse hands the
// results to the server, the router and the backends' HTTP transports.
// Tracing is off unless asked for, and then nothing is built at all.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
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

// Options configure tracing; each zero field leaves the choice to the
// OTEL_* environment variables, then to the defaults.
type Options struct {
	// Enabled turns tracing on or off. nil: on when OTEL_TRACES_EXPORTER
	// names otlp. OTEL_SDK_DISABLED=true turns it off regardless.
	Enabled *bool
	// Protocol is grpc or http/protobuf. "": OTEL_EXPORTER_OTLP_TRACES_PROTOCOL,
	// OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf.
	Protocol string
	// Endpoint is the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT:
	// http://collector:4318 (HTTP; /v1/traces is appended) or
	// http://collector:4317 (gRPC); http:// means no TLS. "": the exporter
	// reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT,
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

// Telemetry is what the components need. The zero value (tracing off)
// has nil fields, which every component takes as "do not trace".
type Telemetry struct {
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator
	shutdown       func(context.Context) error
}

// Enabled reports whether spans are made.
func (t *Telemetry) Enabled() bool { return t.TracerProvider != nil }

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Describe says where spans go, for the start-up message.
func (o Options) Describe() string {
	p, _ := o.protocol()
	if o.Endpoint != "" {
		return p + " " + o.Endpoint
	}
	if e := cmpEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"); e != "" {
		return p + " " + e
	}
	return p + " (default endpoint)"
}

// New builds tracing from o and the environment; it returns a zero
// Telemetry when tracing is off.
func New(ctx context.Context, o Options) (*Telemetry, error) {
	on, err := o.enabled()
	if err != nil || !on {
		return &Telemetry{}, err
	}
	if r := o.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		return nil, fmt.Errorf("telemetry sample ratio %v: want a number from 0 to 1", *r)
	}
	prop, err := propagator(os.Getenv("OTEL_PROPAGATORS"))
	if err != nil {
		return nil, err
	}
	exp, err := o.exporter(ctx)
	if err != nil {
		return nil, err
	}
	res, err := o.resource(ctx)
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if o.SampleRatio != nil {
		opts = append(opts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*o.SampleRatio))))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	return &Telemetry{TracerProvider: tp, Propagator: prop, shutdown: tp.Shutdown}, nil
}

func (o Options) enabled() (bool, error) {
	if v := os.Getenv("OTEL_SDK_DISABLED"); v != "" {
		disabled, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("OTEL_SDK_DISABLED=%q: want true or false", v)
		}
		if disabled {
			return false, nil
		}
	}
	exporters := os.Getenv("OTEL_TRACES_EXPORTER")
	envOn := false
	for e := range strings.SplitSeq(exporters, ",") {
		switch strings.TrimSpace(e) {
		case "", "none":
		case "otlp":
			envOn = true
		default:
			return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: converse exports traces over otlp only (or none)", exporters)
		}
	}
	if o.Enabled != nil {
		return *o.Enabled, nil
	}
	return envOn, nil
}

func (o Options) protocol() (string, error) {
	p := o.Protocol
	if p == "" {
		p = cmpEnv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "", ProtocolHTTP:
		return ProtocolHTTP, nil
	case ProtocolGRPC:
		return ProtocolGRPC, nil
	}
	return "", fmt.Errorf("OTLP protocol %q: use grpc or http/protobuf (http/json is not supported)", p)
}

func (o Options) exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	p, err := o.protocol()
	if err != nil {
		return nil, err
	}
	var u *url.URL
	if o.Endpoint != "" {
		if u, err = url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("telemetry endpoint %q: want an http:// or https:// URL", o.Endpoint)
		}
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
		// As OTEL_EXPORTER_OTLP_ENDPOINT: the signal's path goes after
		// the base URL's.
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		opts = append(opts, otlptracehttp.WithEndpointURL(u.String()))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp http exporter: %w", err)
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
