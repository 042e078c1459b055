// Package upstream holds what every HTTP backend does alike when it calls
// its model server: the one mapping of upstream failures (HTTP statuses,
// transport errors, refused credentials) to Bedrock exceptions, the one
// cleaning of upstream messages, deadlines with a recognisable cause,
// stream liveness (time to first token, idle time), a byte budget for what
// a stream translator holds back, and an HTTP client that follows no
// redirects.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// Backend is what the shared helpers need to know about one configured
// backend. The zero Logger discards.
type Backend struct {
	// Name is the backend's configured name, in messages and logs.
	Name string
	// Logger receives operator-facing lines (refused credentials,
	// redirects); nil discards them.
	Logger *slog.Logger
	// Secret is the backend's API key, redacted from every upstream
	// message before it reaches a caller or a log.
	Secret string
}

// MaxMessage bounds an upstream message passed on to a caller.
const MaxMessage = 2048

// Clean makes an upstream message safe to pass on: trimmed, the API key
// redacted, at most MaxMessage bytes (cut on a UTF-8 boundary).
func (b *Backend) Clean(msg string) string {
	msg = strings.TrimSpace(msg)
	if b.Secret != "" {
		msg = strings.ReplaceAll(msg, b.Secret, "[redacted]")
	}
	if len(msg) > MaxMessage {
		msg = strings.ToValidUTF8(msg[:MaxMessage], "") + "…"
	}
	return msg
}

func (b *Backend) logger() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

// deadline is the cancellation cause of our own deadlines: it carries the
// exception the caller gets, so that a deadline of ours is told apart from
// the caller giving up and each deadline names itself.
type deadline struct{ ex *wire.Exception }

func (d *deadline) Error() string { return "upstream deadline: " + d.ex.Message }

// WithTimeout returns a context cancelled after d with a cause that
// TransportError reports as a ModelTimeoutException naming the backend.
func (b *Backend) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &deadline{wire.Errorf(wire.ModelTimeoutException, "Backend %q did not answer within %v.", b.Name, d)})
}

// TimedOut reports whether ctx ended because one of our deadlines (or any
// deadline) passed.
func TimedOut(ctx context.Context) bool {
	cause := context.Cause(ctx)
	var d *deadline
	return errors.As(cause, &d) || errors.Is(cause, context.DeadlineExceeded)
}

// TransportError classifies a failure to get, or finish reading, a response
// from the backend: one of our deadlines is the ModelTimeoutException it
// carries, an unreachable server a ServiceUnavailableException naming the
// backend, a refused redirect a ServiceUnavailableException with an
// operator-facing log line. A cancellation by the caller is returned as a
// plain error: nobody is left to read an exception.
func (b *Backend) TransportError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		var d *deadline
		if errors.As(cause, &d) {
			ex := *d.ex
			return &ex
		}
		if errors.Is(cause, context.DeadlineExceeded) {
			return wire.Errorf(wire.ModelTimeoutException, "Backend %q did not answer in time.", b.Name)
		}
		return fmt.Errorf("backend %q: %w", b.Name, cause)
	}
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		b.logger().LogAttrs(ctx, slog.LevelWarn, "backend answered with a redirect; not followed",
			slog.String("backend", b.Name), slog.Int("status", redirect.Status), slog.String("location", redirect.Location))
		return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unavailable: it answered with a redirect, which this server does not follow.", b.Name)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return wire.Errorf(wire.ModelTimeoutException, "Backend %q timed out.", b.Name)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return wire.Errorf(wire.ServiceUnavailableException, "Backend %q refused the connection; is it running?", b.Name)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unreachable: its host name does not resolve.", b.Name)
	}
	return wire.Errorf(wire.ServiceUnavailableException, "Backend %q is unreachable.", b.Name)
}

// MaxResponseBytes bounds a non-streaming response body from a backend.
const MaxResponseBytes = 32 << 20

// ReadBody reads a whole non-streaming response body, at most
// MaxResponseBytes: a failure while reading is classified like
// TransportError, a larger body is a ModelErrorException naming the backend.
func (b *Backend) ReadBody(ctx context.Context, body io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(body, MaxResponseBytes+1))
	if err != nil {
		return nil, b.TransportError(ctx, err)
	}
	if len(raw) > MaxResponseBytes {
		return nil, wire.Errorf(wire.ModelErrorException, "Backend %q sent a response larger than %d bytes.", b.Name, MaxResponseBytes)
	}
	return raw, nil
}

// MaxErrorBody bounds how much of an upstream error response is read.
const MaxErrorBody = 64 << 10

// ReadErrorBody reads at most MaxErrorBody bytes of an error response and
// closes it; a read failure leaves what was read.
func ReadErrorBody(resp *http.Response) []byte {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	return raw
}
