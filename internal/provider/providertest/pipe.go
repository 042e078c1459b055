package providertest

import (
	"context"
	"io"
	"net/http"
	"sync"
)

// PipeTransport is an http.RoundTripper that serves every request with
// Handler in the same process, the response body flowing through an
// io.Pipe instead of a socket. A backend fake served this way runs inside a
// testing/synctest bubble: its goroutine and the client's reads block on
// the pipe, which the bubble's fake clock can wait out (a goroutine
// blocked on a real socket is never durably blocked), so deadlines of
// minutes are tested in no real time and without sleeps.
//
// The handler's request context ends when the client closes the body or
// its own context ends, as with a real server.
type PipeTransport struct {
	Handler http.Handler
}

// RoundTrip runs the handler and returns once it wrote its header (or its
// first byte, or returned).
func (t PipeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	sreq := req.Clone(ctx)
	if req.Body == nil {
		sreq.Body = http.NoBody
	}
	go func() {
		defer cancel()
		t.Handler.ServeHTTP(w, sreq)
		w.WriteHeader(http.StatusOK)
		pw.Close()
	}()
	// A client that goes away ends the body with its context's error, as
	// net/http's transport does.
	stop := context.AfterFunc(req.Context(), func() { pr.CloseWithError(req.Context().Err()) })
	select {
	case <-w.ready:
	case <-req.Context().Done():
		cancel()
		stop()
		pr.CloseWithError(req.Context().Err())
		return nil, req.Context().Err()
	}
	return &http.Response{
		Status:     http.StatusText(w.status),
		StatusCode: w.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  w.sent,
		Body:    &pipeBody{ctx: req.Context(), r: pr, close: func() { stop(); cancel() }},
		Request: req,
	}, nil
}

type pipeWriter struct {
	header http.Header
	sent   http.Header // the header as written, for the client
	body   *io.PipeWriter
	once   sync.Once
	status int
	ready  chan struct{}
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(status int) {
	w.once.Do(func() {
		w.status = status
		w.sent = w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Flush does nothing: the pipe hands every write to the reader directly.
func (w *pipeWriter) Flush() {}

type pipeBody struct {
	ctx   context.Context
	r     *io.PipeReader
	close func()
}

// Read fails with the client's context error once that ended, whatever the
// handler did meanwhile, as net/http's transport does.
func (b *pipeBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && b.ctx.Err() != nil {
		return n, b.ctx.Err()
	}
	return n, err
}

func (b *pipeBody) Close() error {
	b.close()
	return b.r.Close()
}
