// Package server speaks HTTP exactly as Amazon Bedrock Runtime does: the
// Converse, ConverseStream and CountTokens routes on the escaped path,
// authentication, decoding and validation, JSON or event-stream responses,
// and one function that turns any failure into Bedrock's error shape.
//
// # Long streams
//
// Every event-stream frame is written under a deadline
// (Options.StreamWriteTimeout): a client that stops reading cannot hold the
// handler, the provider's stream and its upstream connection; when the
// deadline passes the provider's context is cancelled and the handler
// returns. A stream may be silent for as long as the model is (thinking,
// a slow backend): the deadline covers writing a frame, not waiting for one.
//
// There is no keep-alive frame on silent streams. Bedrock sends none, and no
// frame exists that every client ignores: boto3, the JavaScript SDK and the
// Java SDK skip an unknown :event-type, but aws-sdk-go-v2 hands it to the
// application as types.UnknownUnionMember, so a keep-alive would be visible
// to Go callers (the SDK's own examples print it). Liveness of the
// connection rests on TCP keep-alive probes, which net.Listen enables on
// every accepted connection; a proxy in front of converse needs an idle
// timeout longer than the longest silence of its models.
//
// # Shutdown
//
// Serve stops accepting when its context ends, lets requests finish within
// a grace period, then ends the rest: streams with a
// ServiceUnavailableException frame, other calls with that error, so no
// client takes a cut stream for a complete answer.
package server

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/media"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/router"
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
	InvokeRouter
}

// Validator checks decoded requests as Bedrock does (wire.Validator).
type Validator interface {
	Converse(req *wire.ConverseRequest, stream bool) error
	CountTokens(req *wire.CountTokensRequest) error
}

// Authenticator says who signed a request (auth.Verifier, auth.Open). The
// server calls Identify before it reads the body, so a caller it cannot
// identify costs no body; the Pending's Verify finishes the check against
// the body.
type Authenticator interface {
	Identify(r *http.Request) (*auth.Pending, error)
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
	// MaxInflightBodyBytes bounds the bytes of request bodies held at once
	// across the server (DefaultMaxInflightBodyBytes when 0). It must be at
	// least MaxBodyBytes.
	MaxInflightBodyBytes int64
	// BodyBudgetWait is how long a request waits for room in that budget
	// before it is refused with ThrottlingException (DefaultBodyBudgetWait
	// when 0).
	BodyBudgetWait time.Duration
	// StreamWriteTimeout bounds writing one event-stream frame, so a client
	// that stops reading cannot hold a stream and its upstream call forever;
	// 0 means 1 minute. A write blocks only once the client's receive window
	// and our socket buffer are full, i.e. after the client has read nothing
	// for a while; a client that reads at all drains a frame (a few KB) in
	// milliseconds even on a slow link, so a minute is failure, not load.
	// Silence between frames is not limited.
	StreamWriteTimeout time.Duration
	// Health answers GET /healthz and /readyz before authentication; nil
	// means always live and ready.
	Health *health.Probes
	// Invocations records every Converse and ConverseStream call; nil
	// records nothing.
	Invocations *invocationlog.Log
	// Tracing makes a span of each request (trace.go); zero: none.
	Tracing Tracing
	// Playground, when set, serves GET /playground and everything under
	// it, before authentication (the handler authenticates what needs it);
	// nil: those paths are unknown operations like any other.
	Playground http.Handler
	// Guardrails answers ApplyGuardrail (guardrail.go); nil knows none.
	Guardrails Guardrails
}

// Server is the Bedrock Runtime HTTP front end. It is an http.Handler.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	ops    map[string]http.Handler // operation suffix → handler
	budget *bodyBudget
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
	case opts.StreamWriteTimeout < 0:
		return nil, errors.New("server: negative stream write timeout")
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
	if opts.MaxInflightBodyBytes == 0 {
		opts.MaxInflightBodyBytes = max(DefaultMaxInflightBodyBytes, opts.MaxBodyBytes)
	}
	if opts.BodyBudgetWait == 0 {
		opts.BodyBudgetWait = DefaultBodyBudgetWait
	}
	switch {
	case opts.MaxBodyBytes < 0, opts.BodyReadTimeout < 0, opts.BodyBudgetWait < 0:
		return nil, errors.New("server: body limits and timeouts must not be negative")
	case opts.MaxInflightBodyBytes < opts.MaxBodyBytes:
		return nil, fmt.Errorf("server: max in-flight body bytes %d is below the body limit %d, so the largest body could never be read", opts.MaxInflightBodyBytes, opts.MaxBodyBytes)
	}
	if opts.StreamWriteTimeout == 0 {
		opts.StreamWriteTimeout = time.Minute
	}
	if opts.Health == nil {
		opts.Health = health.New(health.Options{})
	}
	s := &Server{
		opts: opts, mux: http.NewServeMux(), ops: map[string]http.Handler{},
		budget: newBodyBudget(opts.MaxInflightBodyBytes, opts.BodyBudgetWait),
	}
	// Probes are GETs outside /model/, so no Bedrock route can collide;
	// they bypass operation(), hence authentication.
	opts.Health.Register(s.mux)
	// The playground's GETs share no path with Bedrock's POST /model/...
	// routes; any other method on these paths falls through to "/".
	if opts.Playground != nil {
		s.mux.Handle("GET /playground", opts.Playground)
		s.mux.Handle("GET /playground/", opts.Playground)
	}
	// ServeMux matches patterns segment by segment on the escaped path, so
	// an ARN's %2F stays inside {modelId}; PathValue returns it decoded.
	for _, op := range []struct {
		suffix, name string
		h            handler
	}{
		{"converse", "Converse", s.converse},
		{"converse-stream", "ConverseStream", s.converseStream},
		{"count-tokens", "CountTokens", s.countTokens},
		{"invoke", "InvokeModel", s.invokeModel},
		{"invoke-with-response-stream", "InvokeModelWithResponseStream", s.invokeModelStream},
	} {
		h := s.traced(op.name, "/model/{modelId}/"+op.suffix, s.operation(op.name, op.h))
		s.mux.Handle("POST /model/{modelId}/"+op.suffix, h)
		s.ops[op.suffix] = h
	}
	s.registerGuardrails()
	for _, op := range []string{"invoke-with-bidirectional-stream"} {
		h := s.operation(op, s.notImplemented)
		s.mux.Handle("POST /model/{modelId}/"+op, h)
		s.ops[op] = h
	}
	s.mux.HandleFunc("/", s.unknownOperation)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()[requestIDHeader] = []string{newRequestID()}
	// ServeMux answers a path it would clean ("//", "/./", "/../", or an
	// escaped "%2F.." that decodes to one) with a redirect and "*" with a
	// bare 400, neither a Bedrock error. Such paths are routed here on their
	// escaped segments, as sent: /model//converse is the operation with an
	// empty modelId and /model/../converse the one with modelId "..", which
	// validation then rejects with its usual message; anything else is an
	// unknown operation.
	if r.RequestURI == "*" || !isCleanPath(r.URL.Path) {
		if h, modelID, ok := s.rawOperation(r); ok {
			r.SetPathValue("modelId", modelID)
			h.ServeHTTP(w, r)
			return
		}
		s.unknownOperation(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// rawOperation matches POST /model/{modelId}/{operation} on the escaped
// path split at '/', without cleaning it.
func (s *Server) rawOperation(r *http.Request) (h http.Handler, modelID string, ok bool) {
	if r.Method != http.MethodPost {
		return nil, "", false
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/model/")
	if !ok {
		return nil, "", false
	}
	escaped, op, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(op, "/") || s.ops[op] == nil {
		return nil, "", false
	}
	modelID, err := url.PathUnescape(escaped)
	if err != nil {
		return nil, "", false
	}
	return s.ops[op], modelID, true
}

// isCleanPath reports whether ServeMux would serve p as it is rather than
// redirect to a cleaned form (net/http's cleanPath).
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
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
		if name == "Converse" || name == "ConverseStream" || name == "InvokeModel" || name == "InvokeModelWithResponseStream" {
			var ctx context.Context
			ctx, inv = s.opts.Invocations.Begin(r.Context(), name, requestID(w), r.PathValue("modelId"))
			r = r.WithContext(ctx)
		}
		// The router notes which backend it called, for the log line.
		ctx, answered := router.WithAnswered(r.Context())
		r = r.WithContext(ctx)
		rw := &statusWriter{ResponseWriter: w}
		err := s.serveOperation(rw, r, h)
		if err != nil {
			s.writeError(rw, r, err)
		}
		inv.End(rw.status(), outcomeOf(r, err))
		if !s.opts.Logger.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		attrs := make([]slog.Attr, 0, 8)
		attrs = append(attrs,
			slog.String("op", name), slog.String("model", r.PathValue("modelId")), slog.Int("status", rw.status()),
			slog.Int64("ms", time.Since(start).Milliseconds()), slog.String("id", requestID(w)))
		if b := answered.Backend(); b != "" {
			attrs = append(attrs, slog.String("backend", b))
		}
		if err != nil {
			ex := exceptionOf(err)
			attrs = append(attrs, slog.String("error", ex.Type))
			switch {
			case ex.Type == wire.InternalServerException:
				attrs = append(attrs, slog.String("cause", err.Error()))
			case rw.status() >= 400 && rw.status() < 500:
				// The client's mistake: what it was told says what to fix.
				attrs = append(attrs, slog.String("message", logMessage(ex.Message)))
			}
		}
		s.opts.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// logMessage is an exception's message for the request log: its first
// line, at most 300 bytes. A signature mismatch goes on with the
// canonical request, which may carry a session token; a log line needs
// only what went wrong.
func logMessage(m string) string {
	m, _, _ = strings.Cut(m, "\n")
	if len(m) > 300 {
		m = strings.ToValidUTF8(m[:300], "") + "…"
	}
	return m
}

func (s *Server) serveOperation(w http.ResponseWriter, r *http.Request, h handler) error {
	// Who is calling is settled from the headers and query first: an
	// unsigned request, an unknown key or a bad API key is refused before
	// a byte of its body is read.
	pending, err := s.opts.Auth.Identify(r)
	if err != nil {
		dropUnreadBody(w, r)
		return err
	}
	body, release, err := s.readBody(w, r)
	defer release()
	if err != nil {
		dropUnreadBody(w, r)
		return err
	}
	id, err := pending.Verify(body)
	if err != nil {
		return err
	}
	// Access is decided on the model that will be served, before any
	// backend call or token count.
	modelID := r.PathValue("modelId")
	invocationlog.FromContext(r.Context()).Request(id.Principal.Name, body)
	if isGuardrailRequest(r) {
		err = authorizeGuardrail(id.Principal, r.PathValue("guardrailIdentifier"))
	} else {
		err = id.Principal.Authorize(modelID, s.opts.Router.ModelForms(modelID))
	}
	if err != nil {
		return err
	}
	return h(w, r, &request{modelID: modelID, body: body, principal: id.Principal, received: time.Now()})
}

// dropUnreadBody marks an HTTP/1.x response to a request whose body was not
// (completely) read as the connection's last. Otherwise net/http, before it
// answers, reads up to 256 KiB of that body to keep the connection, waiting
// as long as the client cares to make it wait. (HTTP/2 resets the stream
// instead; Connection: close there would end every other stream.)
func dropUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 && r.ContentLength != 0 {
		w.Header().Set("Connection", "close")
	}
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
	invocationlog.FromContext(r.Context()).Fields(in.RequestMetadata, in.ProjectIdentifier)
	out, err := s.opts.Router.Converse(r.Context(), s.call(req, &in))
	if err != nil {
		return shutdownError(r.Context(), err)
	}
	invocationlog.FromContext(r.Context()).Response(out)
	return writeJSON(w, http.StatusOK, out)
}

// converseStream answers with an event stream. A failure before the first
// event is an ordinary HTTP error, as on Bedrock; after it, an exception
// frame ends the stream.
//
// The provider's stream runs under a context of its own, cancelled when a
// frame cannot be written in time (the client stopped reading), so the
// upstream call ends with the stream. The server's shutdown cancels it too,
// with errShuttingDown as cause: the stream then ends with a
// ServiceUnavailableException frame rather than a silent cut.
func (s *Server) converseStream(w http.ResponseWriter, r *http.Request, req *request) error {
	var in wire.ConverseRequest
	if err := wire.Decode(req.body, &in); err != nil {
		return err
	}
	in.ModelID = req.modelID
	if err := s.validate(&in, true); err != nil {
		return err
	}
	invocationlog.FromContext(r.Context()).Fields(in.RequestMetadata, in.ProjectIdentifier)
	inv := invocationlog.FromContext(r.Context())
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	fw := s.frameWriter(w, r)
	defer fw.finish()
	var ew *eventstream.Writer
	// Frames are flushed when the provider is about to wait for its next
	// event (provider.Flusher), so events it has ready together leave in
	// one write; a provider that does not claim the flusher gets a flush
	// per frame. A flush that fails ends the stream like a failed write.
	var flushErr error
	ctx, flusher := provider.WithFlusher(ctx, func() {
		if ew == nil || flushErr != nil || !ew.Pending() {
			return
		}
		if err := fw.write(ew.Flush); err != nil {
			flushErr = err
			cancel(err) // the provider stops waiting on its upstream
		}
	})
	writeFailed := func(err error) {
		// The client is gone or stopped reading: cancelling ends the
		// upstream call even if the provider is not pulled again.
		cancel(err)
		inv.Fail(invocationlog.Cancelled)
		s.logWriteFailure(r, err, fw)
	}
	writeException := func(ex *wire.Exception) error {
		return fw.write(func() error {
			if err := ew.WriteException(ex); err != nil {
				return err
			}
			return ew.Flush()
		})
	}
	complete := false // the metadata event, Bedrock's last, was written
	for ev, err := range s.opts.Router.ConverseStream(ctx, s.call(req, &in)) {
		if flushErr != nil {
			writeFailed(flushErr)
			return nil
		}
		if err != nil {
			err = shutdownError(ctx, err)
			if ew == nil {
				return err
			}
			ex := exceptionOf(err)
			inv.Fail(outcomeOf(r, err))
			s.logStreamError(r, err, ex)
			if werr := writeException(ex); werr != nil {
				s.logStreamError(r, werr, nil)
			}
			return nil
		}
		if ew == nil {
			h := w.Header()
			h.Set("Content-Type", "application/vnd.amazon.eventstream")
			w.WriteHeader(http.StatusOK)
			ew = eventstream.NewBufferedWriter(w, http.NewResponseController(w).Flush)
		}
		// metadata is the last event: it goes out at once, before the
		// router settles quotas and the handler returns.
		flushNow := !flusher.Claimed() || ev.Metadata != nil
		if err := fw.write(func() error {
			if err := ew.WriteEvent(ev); err != nil || !flushNow {
				return err
			}
			return ew.Flush()
		}); err != nil {
			writeFailed(err)
			return nil
		}
		inv.Event(ev)
		complete = ev.Metadata != nil
	}
	if flushErr != nil {
		writeFailed(flushErr)
		return nil
	}
	if ew == nil {
		if err := shutdownError(ctx, nil); err != nil {
			return err
		}
		return errors.New("provider ended the stream without any event")
	}
	// A provider may end quietly when its context is cancelled; a stream
	// cut short by the shutdown still owes the client an exception frame.
	if err := shutdownError(ctx, nil); err != nil && !complete {
		ex := exceptionOf(err)
		inv.Fail(outcomeOf(r, err))
		s.logStreamError(r, err, ex)
		if werr := writeException(ex); werr != nil {
			s.logStreamError(r, werr, nil)
		}
		return nil
	}
	// Frames still held (a stream that ended without metadata) go out now,
	// under the write deadline.
	if err := fw.write(ew.Flush); err != nil {
		writeFailed(err)
	}
	return nil
}

// errShuttingDown is the cause with which Serve cancels the requests still
// running when the shutdown grace ends.
var errShuttingDown = errors.New("server shutting down")

// shutdownError returns the ServiceUnavailableException a request ended by
// the shutdown answers with, or err when ctx was not cancelled by it.
func shutdownError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errShuttingDown) {
		return wire.Errorf(wire.ServiceUnavailableException, "The server is shutting down; retry the request.")
	}
	return err
}

// frameWriter bounds each event-stream frame by the stream write deadline.
//
// On HTTP/1 the deadline is the connection's, and it must also cover the
// chunked terminator net/http writes after the handler returns. A frame
// that misses it makes net/http close the connection; the connection is
// set to reset on close meanwhile, so the kernel drops the unsent bytes (up
// to its send buffer, 4 MB by default on Linux) at once instead of keeping
// them for a client that does not read, as an orphaned socket, for minutes.
//
// On HTTP/2 the deadline is a per-stream timer that would reset a stream
// that is merely silent, so it is lifted after each frame; the connection
// is shared by other streams and stays as it is.
type frameWriter struct {
	rc       *http.ResponseController
	timeout  time.Duration
	http1    bool
	conn     *net.TCPConn // HTTP/1 over TCP: reset on close while streaming
	deadline time.Time
}

func (s *Server) frameWriter(w http.ResponseWriter, r *http.Request) *frameWriter {
	f := &frameWriter{rc: http.NewResponseController(w), timeout: s.opts.StreamWriteTimeout, http1: r.ProtoMajor == 1}
	if f.http1 {
		if f.conn = tcpConn(r); f.conn != nil {
			_ = f.conn.SetLinger(0)
		}
	}
	return f
}

// write runs one frame write under the deadline. A writer without
// deadlines (a test recorder) writes without one.
func (f *frameWriter) write(frame func() error) error {
	f.deadline = time.Now().Add(f.timeout)
	_ = f.rc.SetWriteDeadline(f.deadline)
	err := frame()
	if !f.http1 {
		_ = f.rc.SetWriteDeadline(time.Time{})
	}
	return err
}

// timedOut reports whether a failed write ran into the deadline rather
// than a closed connection. HTTP/2 reports a reset stream, so the clock
// decides.
func (f *frameWriter) timedOut(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || !time.Now().Before(f.deadline)
}

// finish restores an orderly close, so the end of a stream reaches a
// client that reads, and re-arms the HTTP/1 deadline for what net/http
// writes after the handler (the last chunk); net/http clears it before the
// next request.
func (f *frameWriter) finish() {
	if f.conn != nil {
		_ = f.conn.SetLinger(-1)
	}
	if f.http1 {
		_ = f.rc.SetWriteDeadline(time.Now().Add(f.timeout))
	}
}

func (s *Server) logWriteFailure(r *http.Request, err error, fw *frameWriter) {
	msg := "stream ended early: client gone"
	if fw.timedOut(err) {
		msg = "stream ended early: client stopped reading"
	}
	s.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, msg,
		slog.String("model", r.PathValue("modelId")), slog.Duration("write_timeout", fw.timeout), slog.String("cause", err.Error()))
}

// outcomeOf names a call's result for the invocation log: "" when it
// succeeded, Cancelled when the client went away, else the exception type
// the client received.
func outcomeOf(r *http.Request, err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(context.Cause(r.Context()), errShuttingDown):
		// The shutdown cancelled the request; the client got err.
		return exceptionOf(err).Type
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
	dropUnreadBody(w, r)
	s.writeError(w, r, wire.Errorf(wire.UnknownOperationException,
		"No Bedrock Runtime operation matches %s %s. converse serves POST /model/{modelId}/converse, /converse-stream and /count-tokens.",
		r.Method, r.URL.EscapedPath()))
}
