package upstream

import (
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// Traced returns base (http.DefaultTransport when nil) wrapped so that each
// request to a backend carries the trace context of its request context in
// W3C traceparent/tracestate headers (or whatever p writes), continuing the
// router's client span at the model server. That span also learns the
// address and port actually called (server.address, server.port), which
// for a pool of replicas or an SDK-resolved endpoint only the transport
// knows. A nil p returns base unchanged: no tracing, no cost.
func Traced(base http.RoundTripper, p propagation.TextMapPropagator) http.RoundTripper {
	if p == nil {
		return base
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &tracedTransport{base: base, prop: p}
}

type tracedTransport struct {
	base http.RoundTripper
	prop propagation.TextMapPropagator
}

// RoundTrip implements http.RoundTripper. It does not modify req (as the
// interface requires): the headers go on a shallow copy.
func (t *tracedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	out := req.WithContext(ctx)
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	t.prop.Inject(ctx, propagation.HeaderCarrier(out.Header))
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(semconv.ServerAddress(req.URL.Hostname()), semconv.ServerPort(port(req)))
	}
	return t.base.RoundTrip(out)
}

// port is the request's port, explicit or implied by its scheme.
func port(req *http.Request) int {
	if p, err := strconv.Atoi(req.URL.Port()); err == nil {
		return p
	}
	if req.URL.Scheme == "http" {
		return 80
	}
	return 443
}
