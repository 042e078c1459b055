package server

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/conversekit/converse/internal/telemetry/genai"
)

// Tracing configures the SERVER span of each Bedrock request. The zero
// value traces nothing and costs nothing.
type Tracing struct {
	// TracerProvider makes the spans; nil turns tracing off.
	TracerProvider trace.TracerProvider
	// Propagator reads the caller's trace context (W3C traceparent and
	// tracestate) so the span continues the caller's trace; nil starts a
	// new trace for every request.
	Propagator propagation.TextMapPropagator
}

const tracerScope = "github.com/conversekit/converse/internal/server"

// traced wraps the handler of operation op (served at route) in its
// server span. Converse and ConverseStream spans follow the GenAI
// conventions ("chat {modelId}", provider aws.bedrock, as the API served
// is Bedrock's); the router adds the request's parameters, usage and
// answering model. Other operations are named by the HTTP conventions.
// The span ends when the handler returns, so a stream's span covers the
// whole stream.
func (s *Server) traced(op, route string, h http.Handler) http.Handler {
	tp := s.opts.Tracing.TracerProvider
	if tp == nil {
		return h
	}
	tracer := tp.Tracer(tracerScope, trace.WithSchemaURL(genai.SchemaURL))
	prop := s.opts.Tracing.Propagator
	chat := op == "Converse" || op == "ConverseStream"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if prop != nil {
			ctx = prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		model := r.PathValue("modelId")
		attrs := []attribute.KeyValue{
			semconv.HTTPRequestMethodKey.String(r.Method),
			semconv.HTTPRoute(route),
			semconv.URLPath(r.URL.EscapedPath()),
			semconv.AWSRequestID(w.Header().Get("x-amzn-RequestId")),
			semconv.RPCMethod(op),
		}
		name := r.Method + " " + route
		if chat {
			name = genai.SpanName(model)
			attrs = append(attrs, genai.Chat(genai.ProviderBedrock, model)...)
		}
		ctx, span := tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status()
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		// writeError names the exception in X-Amzn-ErrorType; a stream
		// that fails after it started is marked by the router.
		if et := w.Header().Get("X-Amzn-ErrorType"); et != "" {
			typ, _, _ := strings.Cut(et, ":")
			span.SetAttributes(semconv.ErrorTypeKey.String(genai.ExceptionType(typ)))
		}
		// As for HTTP servers, only a failure of ours is an error status;
		// a refused request is the caller's.
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}
