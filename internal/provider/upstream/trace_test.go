package upstream

import (
	"context"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Without a propagator the transport is returned as it is.
func TestTracedOff(t *testing.T) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if got := Traced(base, nil); got != http.RoundTripper(base) {
		t.Errorf("Traced(base, nil) = %T, want base itself", got)
	}
}

// With one, the request sent carries the context's span as traceparent,
// the caller's request is left untouched, and the span learns where the
// call went.
func TestTracedInjects(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	ctx, span := tp.Tracer("test").Start(t.Context(), "call")
	var sent *http.Request
	rt := Traced(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	}), propagation.TraceContext{})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://api.example.com/v1/messages", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	span.End()
	want := "00-" + span.SpanContext().TraceID().String() + "-" + span.SpanContext().SpanID().String() + "-01"
	if got := sent.Header.Get("traceparent"); got != want {
		t.Errorf("traceparent %q, want %q", got, want)
	}
	if got := req.Header.Get("traceparent"); got != "" {
		t.Errorf("the caller's request was modified: traceparent %q", got)
	}
	got := map[string]string{}
	for _, kv := range rec.Ended()[0].Attributes() {
		got[string(kv.Key)] = kv.Value.String()
	}
	if got["server.address"] != "api.example.com" || got["server.port"] != "443" {
		t.Errorf("span attributes %v, want server.address api.example.com and server.port 443", got)
	}
}
