package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/conversekit/converse/internal/wire"
)

// Defaults of the body budget (Options).
const (
	// DefaultMaxInflightBodyBytes is 1 GiB: ten bodies at the 100 MiB limit
	// at once, or hundreds of ordinary requests with images. Decoding holds
	// roughly one to two more copies (JSON values, decoded media), so a full
	// budget costs about 2–3 GiB of heap: a size for a host with 4 GiB or
	// more. `converse serve` uses a quarter of GOMEMLIMIT when that is set.
	DefaultMaxInflightBodyBytes = 1 << 30
	// DefaultBodyBudgetWait is how long a request waits for room in the
	// budget before it is refused with a ThrottlingException, which every
	// SDK retries with backoff.
	DefaultBodyBudgetWait = 10 * time.Second
	// firstChunk is the first buffer for a body of unknown length (chunked
	// HTTP/1.1, HTTP/2 without content-length); it doubles from there.
	firstChunk = 64 << 10
)

// bodyBudget bounds the bytes of request bodies held at once across the
// server, so many concurrent uploads wait or are refused instead of
// exhausting memory. A body holds its share from before it is read until
// its request's handler returns, since the handler keeps the bytes (the
// bedrock backend forwards them) for as long as it runs.
type bodyBudget struct {
	sem   *semaphore.Weighted
	total int64
	wait  time.Duration
}

func newBodyBudget(total int64, wait time.Duration) *bodyBudget {
	return &bodyBudget{sem: semaphore.NewWeighted(total), total: total, wait: wait}
}

// acquire reserves n bytes, waiting at most b.wait for them.
func (b *bodyBudget) acquire(ctx context.Context, n int64) error {
	if n <= 0 || b.sem.TryAcquire(n) {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	if err := b.sem.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the client is gone
		}
		return wire.Errorf(wire.ThrottlingException,
			"The server is holding as many request bodies as it may (%d bytes in flight, server.max_inflight_body_bytes) and found no room for this one's %d bytes within %v. Retry with backoff.",
			b.total, n, b.wait)
	}
	return nil
}

func (b *bodyBudget) release(n int64) {
	if n > 0 {
		b.sem.Release(n)
	}
}

// tooLarge is the answer to a body over the limit: 413, as AWS's front end
// answers an oversized request ("Request exceeds the maximum allowed size",
// aws/aws-sdk-js-v3#8297), typed ValidationException so SDKs raise the
// usual client error.
func tooLarge(limit int64) error {
	return &statusError{
		ex: wire.Errorf(wire.ValidationException,
			"The request body is larger than %d bytes, the most this server accepts (server.max_body_bytes). Send large media through s3Location instead of inline bytes.", limit),
		status: http.StatusRequestEntityTooLarge,
	}
}

// readBody reads r's body within the size limit and the server's budget.
// A declared Content-Length over the limit is refused before any byte is
// read. release gives the budget back; call it when the body is no longer
// used (also after an error).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, func() {}, tooLarge(limit)
	}
	var held int64
	release = func() { s.budget.release(held); held = 0 }
	grow := func(n int64) error {
		if err := s.budget.acquire(r.Context(), n); err != nil {
			return err
		}
		held += n
		return nil
	}

	// A deadline for reading the body only: a server-wide ReadTimeout would
	// also end long streams, whose connection stays open for reading. It is
	// lifted only after a complete read: net/http drains an unread body
	// before answering, which must not wait on a stalled client. It is set
	// after any wait for the budget, which is not the client's time.
	rc := http.NewResponseController(w)
	readErr := func(error) error {
		return wire.Errorf(wire.SerializationException, "The request body could not be read completely.")
	}

	if n := r.ContentLength; n >= 0 {
		if err := grow(n); err != nil {
			return nil, release, err
		}
		_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout)) // unsupported writers: no deadline
		body = make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, release, readErr(err)
		}
		_ = rc.SetReadDeadline(time.Time{})
		return body, release, nil
	}

	// Unknown length: grow the buffer by doubling up to the limit,
	// reserving each new capacity before allocating it.
	c := min(int64(firstChunk), limit)
	if err := grow(c); err != nil {
		return nil, release, err
	}
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyReadTimeout))
	body = make([]byte, 0, c)
	for {
		if len(body) == cap(body) {
			if int64(cap(body)) == limit {
				// Full: one more byte means too large.
				var one [1]byte
				n, err := io.ReadFull(r.Body, one[:])
				if n > 0 {
					return nil, release, tooLarge(limit)
				}
				if !errors.Is(err, io.EOF) {
					return nil, release, readErr(err)
				}
				break
			}
			next := min(2*int64(cap(body)), limit)
			if err := grow(next - int64(cap(body))); err != nil {
				return nil, release, err
			}
			body = append(make([]byte, 0, next), body...)
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, release, readErr(err)
		}
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, release, nil
}
