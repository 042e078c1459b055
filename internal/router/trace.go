package router

import (
	"context"
	"iter"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/telemetry/genai"
	"github.com/conversekit/converse/internal/wire"
)

// Tracing, after the OpenTelemetry GenAI conventions: every backend call
// (each attempt, fallbacks included) is a CLIENT span "chat {upstream
// model}" under the request's span, which the router annotates with what
// only it knows: the request's parameters, the model that answered, usage
// and finish reason. The server names and ends the request's span.
// Without a TracerProvider none of this runs.

const tracerScope = "github.com/conversekit/converse/internal/router"

func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		return nil
	}
	return tp.Tracer(tracerScope, trace.WithSchemaURL(genai.SchemaURL))
}

// Converse answers a Converse call (converse), annotating the request's
// span when tracing.
func (r *Router) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	if r.tracer == nil {
		return r.converse(ctx, c)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return r.converse(ctx, c)
	}
	span.SetAttributes(genai.Request(c.Request, false)...)
	out, err := r.converse(ctx, c)
	if err == nil {
		span.SetAttributes(genai.Response(out.Usage, out.StopReason, "")...)
	}
	// A failure reaches the client as an HTTP error: the server reads its
	// type from the response.
	return out, err
}

// ConverseStream answers a ConverseStream call (converseStream),
// annotating the request's span when tracing.
func (r *Router) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	if r.tracer == nil {
		return r.converseStream(ctx, c)
	}
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return r.converseStream(ctx, c)
	}
	return r.annotatedStream(ctx, c, span)
}

// annotatedStream is ConverseStream with tracing on; a function of its
// own so that its closure's captures cost nothing when tracing is off.
func (r *Router) annotatedStream(ctx context.Context, c *provider.Call, span trace.Span) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		span.SetAttributes(genai.Request(c.Request, true)...)
		var o streamOutcome
		for ev, err := range r.converseStream(ctx, c) {
			o.see(ev, err)
			if !yield(ev, err) {
				break
			}
		}
		span.SetAttributes(genai.Response(o.usage, o.stop, "")...)
		// Before the first event a failure is an HTTP error the server
		// reads; after it the stream ends with an exception frame under
		// status 200, which only we see.
		if o.events > 0 {
			if err := o.failure(ctx); err != nil {
				span.SetAttributes(genai.Error(err))
				if wire.AsException(err).HTTPStatus() >= 500 {
					span.SetStatus(codes.Error, genai.ErrorType(err))
				}
			}
		}
	}
}

// startAttempt starts the client span of one backend call.
func (r *Router) startAttempt(ctx context.Context, c *provider.Call, t target, stream bool) (context.Context, trace.Span) {
	name := r.opts.ProviderNames[t.name]
	if name == "" {
		name = genai.ProviderUnknown
	}
	attrs := append(genai.Chat(name, c.UpstreamModel), genai.Request(c.Request, stream)...)
	attrs = append(attrs, backendKey.String(t.name))
	return r.tracer.Start(ctx, genai.SpanName(c.UpstreamModel),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// backendKey names the configured backend a client span went to: two
// backends may share a provider name and model.
const backendKey attribute.Key = "converse.backend"

// endAttempt ends a client span with the call's outcome. The backend
// answers under the model name it was asked for (the Converse shape has no
// response model), so that is gen_ai.response.model.
func endAttempt(span trace.Span, c *provider.Call, u *wire.TokenUsage, stop wire.StopReason, err error) {
	if err != nil {
		span.SetAttributes(genai.Error(err))
		span.SetStatus(codes.Error, genai.ErrorType(err))
	} else {
		span.SetAttributes(genai.Response(u, stop, c.UpstreamModel)...)
	}
	span.End()
}

// converseAttempt calls one backend's Converse inside its client span.
func (r *Router) converseAttempt(ctx context.Context, c *provider.Call, t target) (*wire.ConverseResponse, error) {
	if r.tracer == nil {
		return t.provider.Converse(ctx, c)
	}
	actx, span := r.startAttempt(ctx, c, t, false)
	out, err := t.provider.Converse(actx, c)
	if err != nil {
		endAttempt(span, c, nil, "", err)
		return out, err
	}
	endAttempt(span, c, out.Usage, out.StopReason, nil)
	answered(ctx, c)
	return out, nil
}

// answered notes on the request's span which model answered it.
func answered(ctx context.Context, c *provider.Call) {
	trace.SpanFromContext(ctx).SetAttributes(semconv.GenAIResponseModel(c.UpstreamModel))
}

// streamAttempt calls one backend's ConverseStream inside its client span,
// which ends with the stream: after the metadata event, on an error, or
// when the consumer stops early (a fallback, a client gone).
func (r *Router) streamAttempt(ctx context.Context, c *provider.Call, t target) iter.Seq2[*wire.StreamEvent, error] {
	if r.tracer == nil {
		return t.provider.ConverseStream(ctx, c)
	}
	return r.tracedStream(ctx, c, t)
}

// tracedStream is streamAttempt with tracing on (see annotatedStream).
func (r *Router) tracedStream(ctx context.Context, c *provider.Call, t target) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := time.Now()
		actx, span := r.startAttempt(ctx, c, t, true)
		var o streamOutcome
		for ev, err := range t.provider.ConverseStream(actx, c) {
			if o.firstChunk == 0 && err == nil && ev.ContentBlockDelta != nil {
				o.firstChunk = time.Since(start)
				span.SetAttributes(semconv.GenAIResponseTimeToFirstChunk(o.firstChunk.Seconds()))
			}
			o.see(ev, err)
			if !yield(ev, err) {
				break
			}
		}
		err := o.failure(actx)
		endAttempt(span, c, o.usage, o.stop, err)
		if err == nil {
			answered(ctx, c)
		}
	}
}

// streamOutcome follows a stream for its span: usage from the metadata
// event, the stop reason from messageStop, and how it ended.
type streamOutcome struct {
	events     int
	usage      *wire.TokenUsage
	stop       wire.StopReason
	metadata   bool
	err        error
	firstChunk time.Duration
}

func (o *streamOutcome) see(ev *wire.StreamEvent, err error) {
	if err != nil {
		o.err = err
		return
	}
	o.events++
	switch {
	case ev.MessageStop != nil:
		o.stop = ev.MessageStop.StopReason
	case ev.Metadata != nil:
		o.metadata = true
		o.usage = ev.Metadata.Usage
	}
}

// failure is why the stream ended short: its error, or, when it stopped
// before the metadata event without one, the context's end or "_OTHER".
func (o *streamOutcome) failure(ctx context.Context) error {
	switch {
	case o.err != nil:
		return o.err
	case o.metadata:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return errIncomplete
}

var errIncomplete = wire.Errorf("_OTHER", "the stream ended before its metadata event")
