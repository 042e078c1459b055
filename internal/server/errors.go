package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// exceptionOf classifies any error as the Bedrock exception the caller sees.
// Deadlines are the model's timeout; everything unclassified is an internal
// error whose details stay in our logs.
func exceptionOf(err error) *wire.Exception {
	var ex *wire.Exception
	if errors.As(err, &ex) {
		return ex
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return wire.Errorf(wire.ModelTimeoutException, "The model did not answer in time.")
	}
	return wire.AsException(err)
}

// statusError is an exception the front end answers with another status
// than its type's own, as the real front end answers an oversized body with
// 413 before any operation sees it.
type statusError struct {
	ex     *wire.Exception
	status int
}

func (e *statusError) Error() string { return e.ex.Error() }
func (e *statusError) Unwrap() error { return e.ex }

// statusOf is the HTTP status err is answered with.
func statusOf(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.status
	}
	return exceptionOf(err).HTTPStatus()
}

// writeError is the one place an error becomes an HTTP response: the status
// of its exception, X-Amzn-ErrorType with the suffix the real service sends,
// and a JSON body with __type and message, which every SDK understands.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ex := exceptionOf(err)
	w.Header().Set("X-Amzn-ErrorType", ex.Type+errorTypeSuffix)
	setRetryAfter(w.Header(), ex.RetryAfter)
	if werr := writeJSON(w, statusOf(err), exceptionBody(ex)); werr != nil {
		s.opts.Logger.WarnContext(r.Context(), "write error response", "cause", werr.Error())
	}
}

const errorTypeSuffix = ":http://internal.amazon.com/coral/com.amazon.bedrock/"

// exceptionBody is the JSON error body: __type beside the exception's
// members.
func exceptionBody(ex *wire.Exception) any {
	return struct {
		Type string `json:"__type"`
		*wire.Exception
	}{ex.Type, ex}
}

// setRetryAfter tells a throttled client when to retry, rounded up: the
// standard Retry-After in seconds and x-amz-retry-after in milliseconds,
// which the AWS SDKs' standard retryers (JavaScript; Go with the 2026
// retry behaviour) use as the least delay before the next attempt.
func setRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	h.Set("x-amz-retry-after", strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10))
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err
}

// newRequestID returns a random UUID (version 4), the form of Bedrock's
// x-amzn-RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
