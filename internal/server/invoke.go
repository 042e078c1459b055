package server

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"time"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// InvokeRouter is what the server needs from internal/router for the
// InvokeModel family.
type InvokeRouter interface {
	InvokeModel(ctx context.Context, inv *provider.Invocation) (*provider.InvokeResponse, error)
	InvokeModelStream(ctx context.Context, inv *provider.Invocation) iter.Seq2[*provider.Chunk, error]
}

// maxInvokeBody is the API model's bound on an InvokeModel body (Body:
// blob, max 25,000,000).
const maxInvokeBody = 25_000_000

// invocation reads the operation's headers and checks what needs no
// model: the body's size, the modelId's length, the header enums.
func (s *Server) invocation(r *http.Request, req *request, stream bool) (*provider.Invocation, error) {
	if req.modelID == "" {
		return nil, wire.Errorf(wire.ValidationException, "Value '' at 'modelId' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(req.modelID) > 2048 {
		return nil, wire.Errorf(wire.ValidationException, "Value at 'modelId' failed to satisfy constraint: Member must have length less than or equal to 2048")
	}
	if len(req.body) > maxInvokeBody {
		return nil, wire.Errorf(wire.ValidationException, "Value at 'body' failed to satisfy constraint: Member must have length less than or equal to %d", maxInvokeBody)
	}
	h := r.Header
	hs := invoke.Headers{
		ContentType:              h.Get("Content-Type"),
		Accept:                   h.Get("Accept"),
		Trace:                    h.Get(invoke.HeaderTrace),
		GuardrailIdentifier:      h.Get(invoke.HeaderGuardrailID),
		GuardrailVersion:         h.Get(invoke.HeaderGuardrailVersion),
		PerformanceConfigLatency: h.Get(invoke.HeaderLatency),
		ServiceTier:              h.Get(invoke.HeaderServiceTier),
		RequestMetadata:          h.Get(invoke.HeaderRequestMetadata),
		ProjectIdentifier:        h.Get(invoke.HeaderProject),
	}
	if stream {
		hs.Accept = h.Get(invoke.HeaderStreamAccept)
	}
	if err := hs.Validate(); err != nil {
		return nil, err
	}
	var md map[string]string
	_ = json.Unmarshal([]byte(hs.RequestMetadata), &md) // not a JSON object: nothing to label with
	invocationlog.FromContext(r.Context()).Fields(md, hs.ProjectIdentifier)
	return &provider.Invocation{ModelID: req.modelID, Body: req.body, Headers: hs,
		Principal: req.principal.Name, Received: req.received}, nil
}

// servedHeaders answers the performance and tier headers a caller sent
// with what served the call: the backend's word when it gave one (Bedrock,
// a Converse answer's echo), else the request's values, which every
// backend that did not refuse them honours (docs/fields.md).
func servedHeaders(h http.Header, in invoke.Headers) {
	if in.PerformanceConfigLatency != "" && h.Get(invoke.HeaderLatency) == "" {
		h.Set(invoke.HeaderLatency, in.PerformanceConfigLatency)
	}
	if in.ServiceTier != "" && h.Get(invoke.HeaderServiceTier) == "" {
		h.Set(invoke.HeaderServiceTier, in.ServiceTier)
	}
}

// invokeModel answers InvokeModel: the model-native body, its content
// type, and the token-count and latency headers the real service sends
// (x-amzn-bedrock-input-token-count, -output-token-count,
// -invocation-latency; cache read and write counts when the prompt used
// the cache: pydantic-ai cassette test_anthropic_cache_bedrock_real_api).
func (s *Server) invokeModel(w http.ResponseWriter, r *http.Request, req *request) error {
	inv, err := s.invocation(r, req, false)
	if err != nil {
		return err
	}
	out, err := s.opts.Router.InvokeModel(r.Context(), inv)
	if err != nil {
		return err
	}
	h := w.Header()
	for k, vs := range out.Header {
		h[k] = vs
	}
	setIfEmpty := func(k string, v int) {
		if h.Get(k) == "" {
			h.Set(k, strconv.Itoa(v))
		}
	}
	setIfEmpty(invoke.HeaderInputTokens, out.Usage.InputTokens)
	setIfEmpty(invoke.HeaderOutputTokens, out.Usage.OutputTokens)
	if u := out.Usage; u.CacheReadInputTokens > 0 || u.CacheWriteInputTokens > 0 {
		setIfEmpty(invoke.HeaderCacheReadTokens, u.CacheReadInputTokens)
		setIfEmpty(invoke.HeaderCacheWriteTokens, u.CacheWriteInputTokens)
	}
	setIfEmpty(invoke.HeaderLatencyMs, int(time.Since(req.received).Milliseconds()))
	servedHeaders(h, inv.Headers)
	ct := out.ContentType
	if ct == "" {
		ct = "application/json"
	}
	invocationlog.FromContext(r.Context()).InvokeResponse(out.Body, ct, out.Usage.TokenUsage())
	h.Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(out.Body)
	return err
}

// invokeModelStream answers InvokeModelWithResponseStream with chunk
// events. As for ConverseStream, a failure before the first chunk is an
// ordinary HTTP error and after it an exception frame.
func (s *Server) invokeModelStream(w http.ResponseWriter, r *http.Request, req *request) error {
	inv, err := s.invocation(r, req, true)
	if err != nil {
		return err
	}
	ilog := invocationlog.FromContext(r.Context())
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	fw := s.frameWriter(w, r)
	defer fw.finish()
	var ew *eventstream.Writer
	complete := false // the last chunk (with the usage) was written
	for ch, err := range s.opts.Router.InvokeModelStream(ctx, inv) {
		if err != nil {
			err = shutdownError(ctx, err)
			if ew == nil {
				return err
			}
			ex := exceptionOf(err)
			ilog.Fail(outcomeOf(r, err))
			s.logStreamError(r, err, ex)
			if werr := fw.write(func() error { return ew.WriteInvokeException(ex) }); werr != nil {
				s.logStreamError(r, werr, nil)
			}
			return nil
		}
		if ew == nil {
			h := w.Header()
			h.Set("Content-Type", eventstream.ContentType)
			h.Set(invoke.HeaderStreamType, "application/json")
			servedHeaders(h, inv.Headers)
			w.WriteHeader(http.StatusOK)
			ew = eventstream.NewWriter(w, http.NewResponseController(w).Flush)
		}
		if err := fw.write(func() error { return ew.WriteChunk(ch.Bytes) }); err != nil {
			// The client is gone or stopped reading: cancelling ends the
			// upstream call even if the router is not pulled again.
			cancel(err)
			ilog.Fail(invocationlog.Cancelled)
			s.logWriteFailure(r, err, fw)
			return nil
		}
		var u *wire.TokenUsage
		if ch.Usage != nil {
			u = ch.Usage.TokenUsage()
		}
		ilog.Chunk(ch.Bytes, u)
		complete = ch.Usage != nil
	}
	if ew == nil {
		if err := shutdownError(ctx, nil); err != nil {
			return err
		}
		return errors.New("router ended the invoke stream without any chunk")
	}
	// A stream cut short by the shutdown still owes the client an
	// exception frame.
	if err := shutdownError(ctx, nil); err != nil && !complete {
		ex := exceptionOf(err)
		ilog.Fail(outcomeOf(r, err))
		s.logStreamError(r, err, ex)
		if werr := fw.write(func() error { return ew.WriteInvokeException(ex) }); werr != nil {
			s.logStreamError(r, werr, nil)
		}
	}
	return nil
}
