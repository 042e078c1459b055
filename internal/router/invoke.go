package router

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"time"

	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/telemetry/genai"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// InvokeModel and InvokeModelWithResponseStream go through the same steps
// as Converse: the model is resolved by plan(), checked against the
// catalogue, admitted by the quotas, sent down the route's targets with
// fallbacks on throttling and outages, accounted (prompt cache, usage,
// metrics) and traced. How a target serves the body depends on what it is:
//
//   - an Invoker that serves the body's family gets the bytes as they came
//     (Anthropic natively, real Bedrock re-signed);
//   - any other backend gets a Messages body as its Converse equivalent
//     (invoke.MessagesRequest.ToConverse) and its answer back as Claude's
//     JSON or stream events;
//   - an Embedder gets an embedding body's texts; the router writes the
//     family's JSON around the vectors.
//
// Bodies of other families (Nova, Llama, Titan Text …) can only go to an
// Invoker that forwards every family to Bedrock.

// invokeCall is one InvokeModel call as the router prepared it.
type invokeCall struct {
	inv    *provider.Invocation
	call   *provider.Call // the Converse equivalent for Messages; Request nil otherwise
	p      plan
	stream bool
	// strict: the body passed converse's own validation. A body headed for
	// a backend that forwards to Bedrock is only decoded leniently (Bedrock
	// validates it), and validated if a fallback must serve it itself.
	strict  bool
	msgs    *invoke.MessagesRequest
	convErr error // why msgs has no Converse equivalent
	embed   *invoke.EmbedRequest
	model   string // the model's Anthropic name for Messages answers
}

// way is how one target serves an invocation.
type way int

const (
	wayNative   way = iota // provider.Invoker
	wayConverse            // Messages as Converse
	wayEmbed               // provider.Embedder
)

// forwardsAll reports a backend that passes any body to Bedrock.
func forwardsAll(p provider.Provider) bool {
	in, ok := p.(provider.Invoker)
	return ok && in.Invokes(invoke.FamilyOther)
}

// familyOf decides the family of the body sent to modelID: by the model
// when the catalogue or the ID says, else by the body's keys.
func (r *Router) familyOf(modelID string, body []byte) invoke.Family {
	if f, ok := invoke.ForModel(catalog.BaseID(r.alias(modelID))); ok {
		return f
	}
	if _, known := r.opts.Catalog.Lookup(r.alias(modelID)); known {
		return invoke.FamilyOther
	}
	return invoke.FromBody(body)
}

func (r *Router) prepareInvoke(inv *provider.Invocation, ic *invokeCall) error {
	p, err := r.plan(inv.ModelID)
	ic.p = p
	if err != nil {
		return err
	}
	inv.Family = r.familyOf(inv.ModelID, inv.Body)
	if ic.stream && (inv.Family.Embedding() || p.known && !p.model.Streaming) {
		// [Obs] aws-samples/amazon-bedrock-client-for-mac #112; embedding
		// models do not stream (AWS User Guide, Cohere Embed models).
		return wire.Errorf(wire.ValidationException, "The model is unsupported for streaming.")
	}
	ic.strict = !forwardsAll(p.targets[0].provider)
	ic.model = invoke.ModelName(catalog.BaseID(r.alias(inv.ModelID)))
	if p.known {
		ic.model = invoke.ModelName(p.model.ID)
	}
	if ic.strict {
		return r.validateInvoke(ic)
	}
	// Lenient: decode what can be decoded, for counting and accounting.
	switch {
	case inv.Family == invoke.Messages:
		if m, err := invoke.DecodeMessagesLenient(inv.Body); err == nil {
			ic.msgs = m
			ic.call.Request, ic.convErr = m.ToConverse(inv.ModelID)
			if ic.call.Request != nil {
				m.WithHeaders(ic.call.Request, inv.Headers)
			}
		}
	case inv.Family.Embedding():
		ic.embed, _ = invoke.DecodeEmbed(inv.Family, inv.Body)
	}
	if ic.call.Request != nil {
		r.countPrompt(ic.call)
	}
	return nil
}

// validateInvoke decodes and checks the body as Bedrock would, for a
// target that serves it without Bedrock.
func (r *Router) validateInvoke(ic *invokeCall) error {
	ic.strict = true
	inv := ic.inv
	switch {
	case inv.Family == invoke.Messages:
		m, err := invoke.DecodeMessages(inv.Body)
		if err != nil {
			return err
		}
		if m.GuardrailConfig != nil && inv.Headers.GuardrailIdentifier == "" {
			// [M] InvokeModelRequest.guardrailIdentifier documents this error.
			return wire.Errorf(wire.ValidationException, "amazon-bedrock-guardrailConfig needs a guardrail: set the %s and %s headers, or remove it from the body.", invoke.HeaderGuardrailID, invoke.HeaderGuardrailVersion)
		}
		ic.msgs = m
		ic.call.Request, ic.convErr = m.ToConverse(inv.ModelID)
		if ic.call.Request != nil {
			m.WithHeaders(ic.call.Request, inv.Headers)
			ic.call.Prompt = nil
			r.countPrompt(ic.call)
			if ic.p.known {
				// The catalogue's rules for the model, as for Converse.
				if err := r.opts.Catalog.CheckCapabilities(ic.p.model, ic.call.Request); err != nil {
					return err
				}
				if err := r.checkContextWindow(ic.p.model, ic.call); err != nil {
					return err
				}
				if ic.stream {
					if err := r.opts.Catalog.CheckStream(ic.p.model, ic.call.Request); err != nil {
						return err
					}
				}
			}
		}
	case inv.Family.Embedding():
		e, err := invoke.DecodeEmbed(inv.Family, inv.Body)
		if err != nil {
			return err
		}
		if err := r.limitEmbed(ic.p, e); err != nil {
			return err
		}
		ic.embed = e
	}
	return nil
}

// limitEmbed applies the model's input limits: a text over the token
// limit is refused, or cut from the side the request's truncate names.
func (r *Router) limitEmbed(p plan, e *invoke.EmbedRequest) error {
	if !p.known || p.model.Embedding == nil {
		return nil
	}
	lim := p.model.Embedding.MaxInputTokens
	if e.MaxTokens > 0 && (lim == 0 || e.MaxTokens < lim) {
		lim = e.MaxTokens
	}
	if lim <= 0 {
		return nil
	}
	for i, t := range e.Texts {
		n := r.opts.Tokens.Text(t)
		if n <= lim {
			continue
		}
		if e.Truncate == "" || e.Truncate == "NONE" {
			// [Obs] the wording Titan answers an over-long input with
			// (weak: from reports, not a recording).
			return wire.Errorf(wire.ValidationException, "400 Bad Request: Too many input tokens. Max input tokens: %d, request input token count: %d", lim, n)
		}
		e.Texts[i] = truncateTokens(r.opts.Tokens, t, lim, e.Truncate == "START")
	}
	return nil
}

// truncateTokens cuts text to at most n tokens, dropping words from its
// start or end (the longest run of whole words that fits).
func truncateTokens(c *tokens.Counter, text string, n int, fromStart bool) string {
	words := splitKeep(text)
	lo, hi := 0, len(words) // how many words to keep
	cut := func(k int) string {
		if fromStart {
			return join(words[len(words)-k:])
		}
		return join(words[:k])
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.Text(cut(mid)) <= n {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return cut(lo)
}

func splitKeep(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' && s[i-1] != ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func join(parts []string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return string(b)
}

// wayFor says how target t serves the call, or why it cannot.
func (r *Router) wayFor(ic *invokeCall, t target) (way, error) {
	f := ic.inv.Family
	if in, ok := t.provider.(provider.Invoker); ok && in.Invokes(f) {
		return wayNative, nil
	}
	if !ic.strict {
		if err := r.validateInvoke(ic); err != nil {
			return 0, err
		}
	}
	switch {
	case f == invoke.Messages:
		if ic.convErr != nil {
			return 0, ic.convErr
		}
		return wayConverse, nil
	case f.Embedding():
		if _, ok := t.provider.(provider.Embedder); !ok {
			return 0, wire.Errorf(wire.ValidationException, "Backend %q does not compute embeddings: route model %s to a backend that does (builtin, openai, bedrock).", t.name, ic.inv.ModelID)
		}
		if err := embedHeaders(ic.inv.Headers, t); err != nil {
			return 0, err
		}
		if ic.embed.Images > 0 {
			return 0, wire.Errorf(wire.ValidationException, "Backend %q embeds text only: send texts, or route model %s to a bedrock backend for images.", t.name, ic.inv.ModelID)
		}
		return wayEmbed, nil
	}
	return 0, wire.Errorf(wire.ValidationException,
		"Backend %q serves InvokeModel bodies of the Anthropic Messages, Titan Embeddings and Cohere Embed families only; call Converse for model %s, or route it to a bedrock backend.", t.name, ic.inv.ModelID)
}

// embedHeaders refuses what an embedding backend cannot honour: a
// guardrail (converse's guardrails assess chat, not embeddings), and a
// service tier or latency other than the default on a backend that has
// none for embeddings (one that checks Converse fields: an upstream
// server). The built-in model serves every tier and latency alike.
func embedHeaders(h invoke.Headers, t target) error {
	if err := h.Unsupported(t.name); err != nil {
		return err
	}
	if _, upstream := t.provider.(provider.FieldChecker); !upstream {
		return nil
	}
	if h.ServiceTier != "" && h.ServiceTier != "default" {
		return wire.Errorf(wire.ValidationException, "Backend %q has no %s service tier for embeddings: remove the %s header.", t.name, h.ServiceTier, invoke.HeaderServiceTier)
	}
	if h.PerformanceConfigLatency == "optimized" {
		return wire.Errorf(wire.ValidationException, "Backend %q has no latency-optimized embeddings: remove the %s header.", t.name, invoke.HeaderLatency)
	}
	return nil
}

// reserveInvoke is what an invocation reserves of a token quota: the
// prompt (counted offline) plus max_tokens, or the default output.
func (r *Router) reserveInvoke(ic *invokeCall) ratelimit.Reserve {
	switch {
	case ic.call.Request != nil:
		return r.reserve(ic.call, ic.p)
	case ic.embed != nil:
		n := 0
		for _, t := range ic.embed.Texts {
			n += r.opts.Tokens.Text(t)
		}
		return ratelimit.Reserve{Prompt: int64(n)}
	}
	out := r.opts.QuotaOutputTokens
	if out <= 0 {
		out = DefaultQuotaOutputTokens
	}
	if ic.p.known && ic.p.model.MaxOutputTokens > 0 {
		out = min(out, ic.p.model.MaxOutputTokens)
	}
	return ratelimit.Reserve{Prompt: int64(r.opts.Tokens.InvokeModelBody(ic.inv.Body)), Output: int64(out)}
}

func (r *Router) newInvokeCall(inv *provider.Invocation, stream bool) *invokeCall {
	return &invokeCall{inv: inv, stream: stream, call: &provider.Call{
		ModelID: inv.ModelID, Raw: inv.Body, Principal: inv.Principal, Received: inv.Received,
	}}
}

// InvokeModel answers an InvokeModel call.
func (r *Router) InvokeModel(ctx context.Context, inv *provider.Invocation) (out *provider.InvokeResponse, err error) {
	ic := r.newInvokeCall(inv, false)
	rec := r.begin("InvokeModel", ic.call)
	err = r.prepareInvoke(inv, ic)
	rec.call.Model = ic.p.label
	if inv.Family.Embedding() {
		rec.call.GenAIOperation = metrics.OperationEmbeddings
	}
	if err != nil {
		rec.done(err, nil)
		return nil, err
	}
	res, err := r.admitReserve(ctx, inv.Principal, inv.ModelID, func() ratelimit.Reserve { return r.reserveInvoke(ic) })
	if err != nil {
		rec.done(err, nil)
		return nil, err
	}
	defer func() {
		q := quotaTally{res: res, counter: r.opts.Tokens}
		if out != nil {
			q.usage = out.Usage.TokenUsage()
		}
		q.settle(ctx, err)
	}()
	last := noBackend(inv.ModelID)
	for i, t := range ic.p.targets {
		w, err := r.wayFor(ic, t)
		if err != nil {
			rec.done(err, nil)
			return nil, err
		}
		routed(ctx, t)
		rec.attempt(r, t)
		began := time.Now()
		out, err := r.invokeAttempt(ctx, ic, t, w)
		rec.upstream(time.Since(began))
		if err == nil || !retryable(err) || ctx.Err() != nil {
			var u *metrics.Usage
			if err == nil {
				u = usageOf(out.Usage.TokenUsage())
			}
			rec.done(err, u)
			return out, err
		}
		last = err
		r.fellBack(ctx, ic.call, ic.p, i, err)
	}
	rec.done(last, nil)
	return nil, last
}

// invokeAttempt asks one target for a whole answer.
func (r *Router) invokeAttempt(ctx context.Context, ic *invokeCall, t target, w way) (*provider.InvokeResponse, error) {
	cc := *ic.call
	cc.UpstreamModel = t.model
	switch w {
	case wayConverse:
		return r.converseInvoke(ctx, ic, t)
	case wayEmbed:
		return r.embedAttempt(ctx, ic, &cc, t)
	}
	inv := *ic.inv
	inv.UpstreamModel = t.model
	actx, span := r.invokeSpan(ctx, &cc, t, false)
	out, err := t.provider.(provider.Invoker).InvokeModel(actx, &inv)
	if span != nil {
		var u *wire.TokenUsage
		if out != nil {
			u = out.Usage.TokenUsage()
		}
		endAttempt(span, &cc, u, "", err)
	}
	if err != nil {
		return nil, err
	}
	if cc.Request != nil {
		// Register the prompt's cached prefixes (the backend reports its
		// own cache usage), so other backends see them too.
		r.account(ctx, &cc, ic.p, t, out.Usage.TokenUsage())
	}
	return out, nil
}

// converseInvoke answers a Messages body through a Converse backend, as
// Converse is answered: the backend's field checks, the local guardrail,
// the echo of tier and latency, cache accounting; then Claude's JSON, with
// Bedrock's guardrail members when a guardrail applied.
func (r *Router) converseInvoke(ctx context.Context, ic *invokeCall, t target) (*provider.InvokeResponse, error) {
	cc, err := attempt(ic.call, t, true)
	if err != nil {
		return nil, err
	}
	out, err := r.guardedConverse(ctx, cc, t)
	if err != nil {
		return nil, err
	}
	r.complete(ctx, cc, out)
	out.Usage = r.account(ctx, cc, ic.p, t, out.Usage)
	body, err := ic.msgs.FromConverse(invoke.MessageID(), ic.model, out)
	if err != nil {
		return nil, err
	}
	if cc.Request.GuardrailConfig != nil {
		var trace *wire.GuardrailTraceAssessment
		if out.Trace != nil {
			trace = out.Trace.Guardrail
		}
		if body, err = invoke.WithGuardrail(body, out.StopReason == wire.StopReasonGuardrailIntervened, trace); err != nil {
			return nil, err
		}
	}
	return &provider.InvokeResponse{Body: body, ContentType: "application/json", Usage: invoke.UsageOf(out.Usage),
		Header: echoHeaders(out.ServiceTier, out.PerformanceConfig)}, nil
}

// echoHeaders are the tier and latency a Converse answer reports, as
// InvokeModel's response headers.
func echoHeaders(tier *wire.ServiceTier, perf *wire.PerformanceConfiguration) http.Header {
	h := http.Header{}
	if tier != nil {
		h.Set(invoke.HeaderServiceTier, string(tier.Type))
	}
	if perf != nil {
		h.Set(invoke.HeaderLatency, string(perf.Latency))
	}
	return h
}

// invokeSpan starts the client span of a native or embedding attempt
// (nil span when tracing is off).
func (r *Router) invokeSpan(ctx context.Context, c *provider.Call, t target, stream bool) (context.Context, trace.Span) {
	if r.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	return r.startAttempt(ctx, c, t, stream)
}

// embedSpan starts the client span of an embedding attempt, named and
// attributed as the GenAI conventions name embeddings ("embeddings
// {model}"); nil span when tracing is off.
func (r *Router) embedSpan(ctx context.Context, t target) (context.Context, trace.Span) {
	if r.tracer == nil || !trace.SpanFromContext(ctx).IsRecording() {
		return ctx, nil
	}
	name := r.opts.ProviderNames[t.name]
	if name == "" {
		name = genai.ProviderUnknown
	}
	return r.tracer.Start(ctx, metrics.OperationEmbeddings+" "+t.model, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.GenAIOperationNameEmbeddings, semconv.GenAIProviderNameKey.String(name),
			semconv.GenAIRequestModel(t.model), backendKey.String(t.name)))
}

// embedAttempt asks an Embedder for the vectors and writes the family's
// answer around them.
func (r *Router) embedAttempt(ctx context.Context, ic *invokeCall, c *provider.Call, t target) (*provider.InvokeResponse, error) {
	e := ic.embed
	call := &provider.EmbedCall{ModelID: ic.inv.ModelID, UpstreamModel: t.model, Request: e,
		Dimensions: e.Dimensions, Principal: ic.inv.Principal}
	if ic.p.known && ic.p.model.Embedding != nil {
		if call.Dimensions == 0 {
			call.Dimensions = ic.p.model.Embedding.DefaultDimensions()
		}
		call.MaxInputTokens = ic.p.model.Embedding.MaxInputTokens
	}
	actx, span := r.embedSpan(ctx, t)
	out, err := t.provider.(provider.Embedder).Embed(actx, call)
	if err == nil {
		err = checkVectors(t.name, call, out)
	}
	if span != nil {
		var u *wire.TokenUsage
		if out != nil {
			u = &wire.TokenUsage{InputTokens: out.InputTokens, TotalTokens: out.InputTokens}
		}
		endAttempt(span, c, u, "", err)
	}
	if err != nil {
		return nil, err
	}
	if out.InputTokens == 0 {
		for _, s := range e.Texts {
			out.InputTokens += r.opts.Tokens.Text(s)
		}
	}
	body, err := invoke.EncodeEmbed(e, out)
	if err != nil {
		return nil, err
	}
	return &provider.InvokeResponse{Body: body, ContentType: "application/json", Usage: invoke.Usage{InputTokens: out.InputTokens}}, nil
}

// checkVectors refuses an answer that does not fit the request: one
// vector per text, of the length asked for.
func checkVectors(backend string, c *provider.EmbedCall, out *invoke.Embeddings) error {
	if len(out.Vectors) != len(c.Request.Texts) {
		return wire.Errorf(wire.ModelErrorException, "Backend %q returned %d embeddings for %d texts.", backend, len(out.Vectors), len(c.Request.Texts))
	}
	if c.Request.Dimensions == 0 {
		return nil
	}
	for _, v := range out.Vectors {
		if len(v) != c.Request.Dimensions {
			return wire.Errorf(wire.ModelErrorException, "Backend %q returned embeddings of %d dimensions; the request asked for %d. Configure a model that supports that size, or leave the dimensions unset.", backend, len(v), c.Request.Dimensions)
		}
	}
	return nil
}

// InvokeModelStream answers an InvokeModelWithResponseStream call: chunks
// of the family's own JSON, the last one with Bedrock's
// amazon-bedrock-invocationMetrics. Fallbacks apply until the first chunk.
func (r *Router) InvokeModelStream(ctx context.Context, inv *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		ic := r.newInvokeCall(inv, true)
		rec := r.begin("InvokeModelWithResponseStream", ic.call)
		q := quotaTally{counter: r.opts.Tokens}
		err := r.prepareInvoke(inv, ic)
		rec.call.Model = ic.p.label
		if err == nil {
			q.res, err = r.admitReserve(ctx, inv.Principal, inv.ModelID, func() ratelimit.Reserve { return r.reserveInvoke(ic) })
		}
		if err != nil {
			rec.done(err, nil)
			yield(nil, err)
			return
		}
		var final error
		defer func() { q.settle(ctx, final) }()
		last := noBackend(inv.ModelID)
		for i, t := range ic.p.targets {
			w, err := r.wayFor(ic, t)
			if err != nil {
				rec.done(err, nil)
				final = err
				yield(nil, err)
				return
			}
			routed(ctx, t)
			rec.attempt(r, t)
			started, retry := false, false
			var failure error
			var usage *invoke.Usage
			mark := time.Now()
			for ch, err := range r.streamInvokeAttempt(ctx, ic, t, w) {
				rec.upstream(time.Since(mark))
				if err != nil && !started && retryable(err) && ctx.Err() == nil {
					last, retry = err, true
					r.fellBack(ctx, ic.call, ic.p, i, err)
					break
				}
				if err != nil {
					failure = err
					yield(nil, err)
					break
				}
				if !started {
					started = true
					q.produced = true
					rec.firstToken()
				}
				if ch.Usage != nil {
					usage = ch.Usage
					q.usage = ch.Usage.TokenUsage()
					if !invoke.HasMetrics(ch.Bytes) {
						b, err := invoke.WithMetrics(ch.Bytes, invocationMetrics(*ch.Usage, rec))
						if err != nil {
							failure = err
							yield(nil, err)
							break
						}
						ch = &provider.Chunk{Bytes: b, Usage: ch.Usage}
					}
				}
				if !yield(ch, nil) {
					break
				}
				mark = time.Now()
			}
			if retry {
				continue
			}
			if failure == nil && usage == nil {
				failure = ctx.Err()
				if failure == nil {
					failure = errIncomplete
				}
			}
			var u *metrics.Usage
			if usage != nil {
				u = usageOf(usage.TokenUsage())
			}
			rec.done(failure, u)
			final = failure
			return
		}
		rec.done(last, nil)
		final = last
		yield(nil, last)
	}
}

// invocationMetrics are the last chunk's metrics: usage, and the latency
// since the server had the request, to the first chunk and to now.
func invocationMetrics(u invoke.Usage, rec *record) invoke.Metrics {
	m := invoke.Metrics{
		InputTokenCount:   u.InputTokens,
		OutputTokenCount:  u.OutputTokens,
		InvocationLatency: time.Since(rec.start).Milliseconds(),
		FirstByteLatency:  rec.call.FirstToken.Milliseconds(),
	}
	if u.CacheReadInputTokens > 0 {
		m.CacheReadInputTokenCount = wire.Ptr(u.CacheReadInputTokens)
	}
	if u.CacheWriteInputTokens > 0 {
		m.CacheWriteInputTokenCount = wire.Ptr(u.CacheWriteInputTokens)
	}
	return m
}

// streamInvokeAttempt streams one target's answer as chunks; the last one
// carries the usage.
func (r *Router) streamInvokeAttempt(ctx context.Context, ic *invokeCall, t target, w way) iter.Seq2[*provider.Chunk, error] {
	cc := *ic.call
	cc.UpstreamModel = t.model
	if w == wayConverse {
		return r.converseChunks(ctx, ic, &cc, t)
	}
	return func(yield func(*provider.Chunk, error) bool) {
		inv := *ic.inv
		inv.UpstreamModel = t.model
		actx, span := r.invokeSpan(ctx, &cc, t, true)
		var u *wire.TokenUsage
		var failure error
		defer func() {
			if span != nil {
				if failure == nil && u == nil {
					failure = errIncomplete
				}
				endAttempt(span, &cc, u, "", failure)
			}
		}()
		for ch, err := range t.provider.(provider.Invoker).InvokeModelStream(actx, &inv) {
			if err != nil {
				failure = err
				yield(nil, err)
				return
			}
			if ch.Usage != nil {
				u = ch.Usage.TokenUsage()
				if cc.Request != nil {
					r.account(ctx, &cc, ic.p, t, u)
				}
			}
			if !yield(ch, nil) {
				failure = ctx.Err()
				if failure == nil {
					failure = context.Canceled
				}
				return
			}
		}
	}
}

// converseChunks serves a Messages stream from a Converse backend: its
// events, accounted like ConverseStream's, become Claude's stream events.
func (r *Router) converseChunks(ctx context.Context, ic *invokeCall, c *provider.Call, t target) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		c, err := attempt(ic.call, t, true)
		if err != nil {
			yield(nil, err)
			return
		}
		prompt := 0
		if c.Prompt != nil {
			prompt = c.Prompt.Total
		} else {
			prompt = r.opts.Tokens.Converse(tokens.FromRequest(c.Request)).Total
		}
		enc := ic.msgs.NewStreamEncoder(invoke.MessageID(), ic.model, prompt)
		var pending *provider.Chunk // held back so the last chunk can carry the usage
		var out outputTally
		var guardTrace *wire.GuardrailTraceAssessment
		intervened := false
		open := func(cc *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
			return ordered(t.name, r.streamAttempt(ctx, cc, t))
		}
		for ev, err := range r.guardedStream(ctx, c, t, open) {
			if err != nil {
				if pending != nil && !yield(pending, nil) {
					return
				}
				yield(nil, err)
				return
			}
			switch {
			case ev.ContentBlockDelta != nil:
				out.see(ev.ContentBlockDelta.Delta)
			case ev.MessageStop != nil:
				intervened = ev.MessageStop.StopReason == wire.StopReasonGuardrailIntervened
			case ev.Metadata != nil:
				r.completeStream(ctx, c, ev.Metadata, &out)
				ev.Metadata.Usage = r.account(ctx, c, ic.p, t, ev.Metadata.Usage)
				if ev.Metadata.Trace != nil {
					guardTrace = ev.Metadata.Trace.Guardrail
				}
			}
			chunks, err := enc.Encode(ev)
			if err != nil {
				yield(nil, fmt.Errorf("backend %q: %w", t.name, err))
				return
			}
			for _, b := range chunks {
				if pending != nil && !yield(pending, nil) {
					return
				}
				pending = &provider.Chunk{Bytes: b}
			}
		}
		if pending == nil {
			yield(nil, errIncomplete)
			return
		}
		if !enc.Done() {
			if !yield(pending, nil) {
				return
			}
			yield(nil, errIncomplete)
			return
		}
		pending.Usage = enc.FinalUsage
		if c.Request.GuardrailConfig != nil {
			b, err := invoke.WithGuardrail(pending.Bytes, intervened, guardTrace)
			if err != nil {
				yield(nil, err)
				return
			}
			pending.Bytes = b
		}
		yield(pending, nil)
	}
}

// countInvokeBody counts the prompt tokens of an InvokeModel body for
// CountTokens: a Messages body exactly as InvokeModel's
// X-Amzn-Bedrock-Input-Token-Count counts it on a Converse backend (its
// Converse equivalent), embedding inputs as their texts, anything else
// by its strings.
func (r *Router) countInvokeBody(modelID string, body []byte) int {
	switch f := r.familyOf(modelID, body); {
	case f == invoke.Messages:
		m, err := invoke.DecodeMessagesLenient(body)
		if err != nil {
			break
		}
		req, err := m.ToConverse(modelID)
		if err != nil {
			break
		}
		return r.opts.Tokens.Converse(tokens.FromRequest(req)).Total
	case f.Embedding():
		e, err := invoke.DecodeEmbed(f, body)
		if err != nil {
			break
		}
		n := 0
		for _, t := range e.Texts {
			n += r.opts.Tokens.Text(t)
		}
		return n
	}
	return r.opts.Tokens.InvokeModelBody(body)
}
