// Package upstream holds what every HTTP backend does alike when it calls
// its model server: deadlines with a recognisable cause, and the one
// classification of transport failures into Bedrock exceptions.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// errTimeout is the cancellation cause of WithTimeout, so that a deadline
// of ours is told apart from the caller giving up.
var errTimeout = errors.New("upstream timeout")

// WithTimeout returns a context cancelled with our timeout cause after d.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, errTimeout)
}

// TimedOut reports whether ctx ended because a WithTimeout deadline (or
// any deadline) passed.
func TimedOut(ctx context.Context) bool {
	cause := context.Cause(ctx)
	return errors.Is(cause, errTimeout) || errors.Is(cause, context.DeadlineExceeded)
}

// TransportError classifies a failure to get, or finish reading, a response
// from backend name: our deadline is ModelTimeoutException, an unreachable
// server ServiceUnavailableException naming the backend. A cancellation by
// the caller is returned as a plain error: nobody is left to read an
// exception.
func TransportError(ctx context.Context, err error, name string, timeout time.Duration) error {
	if cause := context.Cause(ctx); cause != nil {
		if TimedOut(ctx) {
			return wire.Errorf(wire.ModelTimeoutException, "Backend %q did not answer within %v.", name, timeout)
		}
		return fmt.Errorf("backend %q: %w", name, cause)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return wire.Errorf(wire.ModelTimeoutException, "Backend %q timed out.", name)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return wire.Errorf(wire.ServiceUnavailableException, "Backend %q refused the connection; is it running?", name)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unreachable: its host name does not resolve.", name)
	}
	return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unreachable.", name)
}

// Idle returns a context cancelled with the timeout cause once d passes
// without the timer being reset: it bounds each wait for the upstream, not a
// whole stream that keeps coming. stop releases the timer and the context.
func Idle(ctx context.Context, d time.Duration) (_ context.Context, idle *time.Timer, stop func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	idle = time.AfterFunc(d, func() { cancel(errTimeout) })
	return ctx, idle, func() {
		idle.Stop()
		cancel(nil)
	}
}

// MaxResponseBytes bounds a non-streaming response body from a backend.
const MaxResponseBytes = 32 << 20

// ReadBody reads a whole non-streaming response body, at most
// MaxResponseBytes: a failure while reading is classified like
// TransportError, a larger body is a ModelErrorException naming the backend.
func ReadBody(ctx context.Context, body io.Reader, name string, timeout time.Duration) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(body, MaxResponseBytes+1))
	if err != nil {
		return nil, TransportError(ctx, err, name, timeout)
	}
	if len(raw) > MaxResponseBytes {
		return nil, wire.Errorf(wire.ModelErrorException, "Backend %q sent a response larger than %d bytes.", name, MaxResponseBytes)
	}
	return raw, nil
}
