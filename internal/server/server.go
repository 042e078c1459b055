// Package server speaks HTTP exactly as Amazon Bedrock Runtime does: the
// Converse, ConverseStream and CountTokens routes on the escaped path,
// authentication, decoding and validation, JSON or event-stream responses,
// and one function that turns any failure into Bedrock's error shape.
package server

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/media"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Router is what the server needs from internal/router.
type Router interface {
	// ModelForms lists the forms of the model a model ID is served as
	// (after aliases: as sent, an ARN's resource, the base ID), which a
	// principal's patterns are matched against.
	ModelForms(modelID string) []string
	Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error)
	ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error]
	CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (*wire.CountTokensResponse, error)
}

// Validator checks decoded requests as Bedrock does (wire.Validator).
type Validator interface {
	Converse(req *wire.ConverseRequest, stream bool) error
	CountTokens(req *wire.CountTokensRequest) error
}

// Authenticator says who signed a request (auth.Verifier).
type Authenticator interface {
	Authenticate(r *http.Request, body []byte) (*auth.Principal, error)
}

// Options configure a Server. Router, Validator and Auth are required.
type Options struct {
	Router    Router
	Validator Validator
	Auth      Authenticator
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies; 0 means 100 MiB (20 images of
	// 3.75 MB and 5 documents of 4.5 MB, base64-encoded, fit).
	MaxBodyBytes int64
	// BodyReadTimeout bounds reading one request body, so a client that
	// trickles its body cannot hold a connection forever; 0 means 5 minutes
	// (100 MiB at about 350 KB/s).
	BodyReadTimeout time.Duration
	// Health answers GET /healthz and /readyz before authentication; nil
	// means always live and ready.
	Health *health.Probes
	// Invocations records every Converse and ConverseStream call; nil
	// records nothing.
	Invocations *invocationlog.Log
	// Tracing makes a span of each request (trace.go); zero: none.
	Tracing Tracing
	// Guardrails answers ApplyGuardrail (guardrail.go); nil knows none.
	Guardrails Guardrails
}

// Server is the Bedrock Runtime HTTP front end. It is an http.Handler.
type Server struct {
	opts          Options
	mux           *http.ServeMux
	emptyModelOps map[string]http.Handler // operation suffix → handler
}

// New returns a Server.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Router == nil:
		return nil, errors.New("server: no router")
	case opts.Validator == nil:
		return nil, errors.New("server: no validator")
	case opts.Auth == nil:
		return nil, errors.New("server: no authenticator")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes == 0 {
		opts.MaxBodyBytes = 100 << 20
	}
	if opts.BodyReadTimeout == 0 {
		opts.BodyReadTimeout = 5 * time.Minute
	}
	if opts.Health == nil {
		opts.Health = health.New(health.Options{})
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), emptyModelOps: map[string]http.Handler{}}
	// Probes are GETs outside /model/, so no Bedrock route can collide;
	// they bypass operation(), hence authentication.
	opts.Health.Register(s.mux)
	// ServeMux matches patterns segment by segment on the escaped path, so
	// an ARN's %2F stays inside {modelId}; PathValue returns it decoded.
	for _, op := range []struct {
		suffix, name string
		h            handler
	}{
		{"converse", "Converse", s.converse},
		{"converse-stream", "ConverseStream", s.converseStream},
		{"count-tokens", "CountTokens", s.countTokens},
	} {
		h := s.traced(op.name, "/model/{modelId}/"+op.suffix, s.operation(op.name, op.h))
		s.mux.Handle("POST /model/{modelId}/"+op.suffix, h)
		s.emptyModelOps[op.suffix] = h
	}
	s.registerGuardrails()
	for _, op := range []string{"invoke", "invoke-with-response-stream", "invoke-with-bidirectional-stream"} {
		s.mux.Handle("POST /model/{modelId}/"+op, s.operation(op, s.notImplemented))
	}
	s.mux.HandleFunc("/", s.unknownOperation)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", newRequestID())
	// ServeMux would redirect /model//converse to a cleaned path; Bedrock
	// answers it as the operation with an empty modelId, which validation
	// then rejects with its usual message.
	if rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/model//"); ok && r.Method == http.MethodPost {
		if h, ok := s.emptyModelOps[rest]; ok {
			r.SetPathValue("modelId", "")
			h.ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// request is what every operation handler receives.
type request struct {
	modelID   string
	body      []byte
	principal *auth.Principal
	received  time.Time // body read and caller checked
}

type handler func(w http.ResponseWriter, r *http.Request, req *request) error

// operation wraps a handler with what every operation shares: reading the
// bounded body, authentication, the per-model access check, error writing
// and the request log line.
func (s *Server) operation(name string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var inv *invocationlog.Invocation
		if name == "Converse" || name == "ConverseStream" {
			var ctx context.Context
			ctx, inv = s.opts.Invocations.Begin(r.Context(), name, w.Header().Get("x-amzn-RequestId"), r.PathValue("modelId"))
			r = r.WithContext(ctx)
		}
		rw := &statusWriter{ResponseWriter: w}
		err := s.serveOperation(rw, r, h)
		if err != nil {
			s.writeError(rw, r, err)
		}
		inv.End(rw.status(), outcomeOf(r, err))
		attrs := []any{
			"op", name, "model", r.PathValue("modelId"), "status", rw.status(),
			"ms", time.Since(start).Milliseconds(), "id", w.Header().Get("x-amzn-RequestId"),
		}
		if err != nil {
			ex := exceptionOf(err)
			attrs = append(attrs, "error", ex.Type)
			if ex.Type == wire.InternalServerException {
				attrs = append(attrs, "cause", err.Error())
			}
		}
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slogAttrs(attrs)...)
	})
}

func (s *Server) serveOperation(w http.ResponseWriter, r *http.Request, h handler) error {
	// A deadline for reading the body only: a server-wide ReadTimeout would
	// also end long streams, whose connection stays open for reading. It is
	// lifted only after a complete read: net/http drains an unread body
	// before answering, which must not wait on a stalled client.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout)) // unsupported writers: no deadline
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err == nil {
		_ = rc.SetReadDeadline(time.Time{})
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return wire.Errorf(wire.ValidationException, "The request body is larger than %d bytes. Send large media through s3Location instead of inline bytes.", tooLarge.Limit)
		}
		return wire.Errorf(wire.SerializationException, "The request body could not be read completely.")
	}
	principal, err := s.opts.Auth.Authenticate(r, body)
	if err != nil {
		return err
	}
	// Access is decided on the model that will be served, before any
	// backend call or token count.
	modelID := r.PathValue("modelId")
	invocationlog.FromContext(r.Context()).Request(principal.Name, body)
	if isGuardrailRequest(r) {
		err = authorizeGuardrail(principal, r.PathValue("guardrailIdentifier"))
	} else {
		err = principal.Authorize(modelID, s.opts.Router.ModelForms(modelID))
	}
	if err != nil {
		return err
	}
	return h(w, r, &request{modelID: modelID, body: body, principal: principal, received: time.Now()})
}

// validate applies the checks that need no model knowledge: the API model's
// constraints, the service's conversation rules, and the attached bytes.
func (s *Server) validate(in *wire.ConverseRequest, stream bool) error {
	if err := s.opts.Validator.Converse(in, stream); err != nil {
		return err
	}
	return media.Check(in)
}

func (s *Server) call(req *request, decoded *wire.ConverseRequest) *provider.Call {
	decoded.ModelID = req.modelID
	return &provider.Call{ModelID: req.modelID, Request: decoded, Raw: req.body, Principal: req.principal.Name, Received: req.received}
}

func (s *Server) converse(w http.ResponseWriter, r *http.Request, req *request) error {
	var in wire.ConverseRequest
	if err := wire.Decode(req.body, &in); err != nil {
		return err
	}
	in.ModelID = req.modelID
	if err := s.validate(&in, false); err != nil {
		return err
	}
	out, err := s.opts.Router.Converse(r.Context(), s.call(req, &in))
	if err != nil {
		return err
	}
	invocationlog.FromContext(r.Context()).Response(out)
	return writeJSON(w, http.StatusOK, out)
}

// converseStream answers with an event stream. A failure before the first
// event is an ordinary HTTP error, as on Bedrock; after it, an exception
// frame ends the stream.
func (s *Server) converseStream(w http.ResponseWriter, r *http.Request, req *request) error {
	var in wire.ConverseRequest
	if err := wire.Decode(req.body, &in); err != nil {
		return err
	}
	in.ModelID = req.modelID
	if err := s.validate(&in, true); err != nil {
		return err
	}
	ctx := r.Context()
	inv := invocationlog.FromContext(ctx)
	var ew *eventstream.Writer
	for ev, err := range s.opts.Router.ConverseStream(ctx, s.call(req, &in)) {
		if err != nil {
			if ew == nil {
				return err
			}
			ex := exceptionOf(err)
			inv.Fail(outcomeOf(r, err))
			s.logStreamError(r, err, ex)
			if werr := ew.WriteException(ex); werr != nil {
				s.logStreamError(r, werr, nil)
			}
			return nil
		}
		if ew == nil {
			h := w.Header()
			h.Set("Content-Type", "application/vnd.amazon.eventstream")
			w.WriteHeader(http.StatusOK)
			ew = eventstream.NewWriter(w, http.NewResponseController(w).Flush)
		}
		if err := ew.WriteEvent(ev); err != nil {
			// The client is gone; leaving the loop stops the provider.
			inv.Fail(invocationlog.Cancelled)
			s.logStreamError(r, err, nil)
			return nil
		}
		inv.Event(ev)
	}
	if ew == nil {
		return errors.New("provider ended the stream without any event")
	}
	return nil
}

// outcomeOf names a call's result for the invocation log: "" when it
// succeeded, Cancelled when the client went away, else the exception type
// the client received.
func outcomeOf(r *http.Request, err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled) || r.Context().Err() != nil:
		return invocationlog.Cancelled
	}
	return exceptionOf(err).Type
}

func (s *Server) logStreamError(r *http.Request, err error, ex *wire.Exception) {
	attrs := []slog.Attr{slog.String("model", r.PathValue("modelId")), slog.String("cause", err.Error())}
	if ex != nil {
		attrs = append(attrs, slog.String("error", ex.Type))
	}
	s.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "stream ended early", attrs...)
}

func (s *Server) countTokens(w http.ResponseWriter, r *http.Request, req *request) error {
	var in wire.CountTokensRequest
	if err := wire.Decode(req.body, &in); err != nil {
		return err
	}
	in.ModelID = req.modelID
	if err := s.opts.Validator.CountTokens(&in); err != nil {
		return err
	}
	out, err := s.opts.Router.CountTokens(r.Context(), req.modelID, in.Input)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) notImplemented(w http.ResponseWriter, r *http.Request, req *request) error {
	return wire.Errorf(wire.ValidationException, "converse does not serve %s yet: use Converse or ConverseStream for model %s.", r.URL.EscapedPath(), req.modelID)
}

// unknownOperation answers every request no operation matches. AWS's Coral
// front end answers an unknown operation with
// com.amazon.coral.service#UnknownOperationException (reported for SES v2
// called on a v1 path); the 404 status is our choice, as no Bedrock capture
// of it was found.
func (s *Server) unknownOperation(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, wire.Errorf(wire.UnknownOperationException,
		"No Bedrock Runtime operation matches %s %s. converse serves POST /model/{modelId}/converse, /converse-stream and /count-tokens.",
		r.Method, r.URL.EscapedPath()))
}

func slogAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
}
