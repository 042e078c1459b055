package bedrock

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// InvokeModel and InvokeModelWithResponseStream bodies of every family are
// forwarded byte for byte, re-signed, with the caller's InvokeModel
// headers (guardrail, trace, latency, tier, request metadata, project),
// which real Bedrock honours. The answer passes through unchanged: the
// body and the X-Amzn-Bedrock-* headers, or each chunk as it arrives;
// usage is read from the token-count headers and from the last chunk's
// amazon-bedrock-invocationMetrics.

var _ provider.Invoker = (*Provider)(nil)

// Invokes reports that every family is served: Bedrock knows them all.
func (p *Provider) Invokes(invoke.Family) bool { return true }

// invokeHeaders are the caller's headers to forward.
func invokeHeaders(h invoke.Headers, stream bool) http.Header {
	out := http.Header{}
	set := func(k, v string) {
		if v != "" {
			out.Set(k, v)
		}
	}
	set(invoke.HeaderTrace, h.Trace)
	set(invoke.HeaderGuardrailID, h.GuardrailIdentifier)
	set(invoke.HeaderGuardrailVersion, h.GuardrailVersion)
	set(invoke.HeaderLatency, h.PerformanceConfigLatency)
	set(invoke.HeaderServiceTier, h.ServiceTier)
	set(invoke.HeaderRequestMetadata, h.RequestMetadata)
	set(invoke.HeaderProject, h.ProjectIdentifier)
	if stream {
		set(invoke.HeaderStreamAccept, h.Accept)
	}
	return out
}

func invokeModel(inv *provider.Invocation) string {
	if inv.UpstreamModel != "" {
		return inv.UpstreamModel
	}
	return inv.ModelID
}

// InvokeModel forwards the body to /model/{upstream}/invoke.
func (p *Provider) InvokeModel(ctx context.Context, inv *provider.Invocation) (*provider.InvokeResponse, error) {
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	accept := inv.Headers.Accept
	if accept == "" {
		accept = "application/json"
	}
	resp, err := p.post(ctx, invokeModel(inv), "invoke", inv.Body, accept, invokeHeaders(inv.Headers, false))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := p.up.ReadBody(ctx, resp.Body)
	if err != nil {
		return nil, err
	}
	out := &provider.InvokeResponse{Body: raw, ContentType: resp.Header.Get("Content-Type"), Header: http.Header{}}
	for k, vs := range resp.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-amzn-bedrock-") {
			out.Header[k] = vs
		}
	}
	num := func(k string) int { n, _ := strconv.Atoi(resp.Header.Get(k)); return n }
	out.Usage = invoke.Usage{InputTokens: num(invoke.HeaderInputTokens), OutputTokens: num(invoke.HeaderOutputTokens),
		CacheReadInputTokens: num(invoke.HeaderCacheReadTokens), CacheWriteInputTokens: num(invoke.HeaderCacheWriteTokens)}
	return out, nil
}

// InvokeModelStream forwards the body to
// /model/{upstream}/invoke-with-response-stream and yields each chunk as
// it arrives; an exception frame ends the stream with that exception.
func (p *Provider) InvokeModelStream(ctx context.Context, inv *provider.Invocation) iter.Seq2[*provider.Chunk, error] {
	return func(yield func(*provider.Chunk, error) bool) {
		ctx, live := p.up.Watch(ctx, p.firstToken, p.idle)
		defer live.Stop()
		fail := func(err error) { yield(nil, live.Fail(err)) }
		resp, err := p.post(ctx, invokeModel(inv), "invoke-with-response-stream", inv.Body, eventStreamType, invokeHeaders(inv.Headers, true))
		if err != nil {
			yield(nil, err)
			return
		}
		defer resp.Body.Close()
		if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != eventStreamType {
			fail(&wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
				Message: fmt.Sprintf("Backend %q answered InvokeModelWithResponseStream with %q instead of an event stream.", p.name, mt)})
			return
		}
		// Every chunk is content to the liveness clock: the family's
		// events are opaque here.
		var current *provider.Chunk
		release := func(*wire.StreamEvent, error) bool { return yield(current, nil) }
		for b, err := range eventstream.Chunks(resp.Body, eventstream.ReadOptions{}) {
			if err != nil {
				fail(p.streamError(ctx, err))
				return
			}
			current = &provider.Chunk{Bytes: b}
			if invoke.HasMetrics(b) {
				var m map[string]json.RawMessage
				var met invoke.Metrics
				if json.Unmarshal(b, &m) == nil && json.Unmarshal(m[invoke.MetricsKey], &met) == nil {
					current.Usage = &invoke.Usage{InputTokens: met.InputTokenCount, OutputTokens: met.OutputTokenCount,
						CacheReadInputTokens: wire.Val(met.CacheReadInputTokenCount), CacheWriteInputTokens: wire.Val(met.CacheWriteInputTokenCount)}
				}
			}
			if !live.Emit([]*wire.StreamEvent{chunkMarker}, release) {
				return
			}
			if current.Usage != nil {
				return
			}
		}
		if context.Cause(ctx) != nil {
			fail(p.up.TransportError(ctx, context.Cause(ctx)))
			return
		}
		fail(&wire.Exception{Type: wire.ModelStreamErrorException, OriginalStatusCode: resp.StatusCode,
			Message: fmt.Sprintf("The stream from backend %q ended before its invocation metrics.", p.name)})
	}
}

var chunkMarker = &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{}}
