package upstream

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// Defaults of the two stream deadlines. Both are one minute: the AWS SDKs'
// own default read timeout (botocore's, the most used client) is a minute
// without a byte, so a client with default settings has given up by then
// anyway, and a backend that sent nothing for a minute is far more likely
// hung than busy. Slow local prefill of long prompts, or models that think
// without streaming their reasoning, need a longer first-token timeout
// (configured per backend).
const (
	DefaultFirstTokenTimeout = time.Minute
	DefaultIdleTimeout       = time.Minute
)

// Liveness bounds a stream's waits on its upstream: the first content must
// come within the first-token timeout of the request, and each later piece
// of content within the idle timeout of the one before. Only content counts:
// a chunk that gives the client nothing to see (an empty choices list, a
// ping, a messageStart on its own) resets nothing. Time the consumer spends
// with an event is not counted either.
//
// messageStart is held back until content follows it, so that a backend
// that never produces a token fails before the client saw any event: the
// failure is then an ordinary error response, and the router's fallbacks
// apply.
//
// A Liveness belongs to one stream's goroutine.
type Liveness struct {
	idle    time.Duration
	timer   *time.Timer
	cancel  context.CancelCauseFunc
	cause   atomic.Pointer[deadline] // read by the timer's goroutine
	idleEnd *deadline
	started bool
	held    []*wire.StreamEvent
}

// Watch starts a stream's liveness deadlines (the defaults for zero
// durations); the returned context is cancelled with a ModelTimeoutException
// cause when one passes, so that TransportError reports it. Call Stop when
// the stream ends.
func (b *Backend) Watch(ctx context.Context, firstToken, idle time.Duration) (context.Context, *Liveness) {
	if firstToken <= 0 {
		firstToken = DefaultFirstTokenTimeout
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	ctx, cancel := context.WithCancelCause(ctx)
	l := &Liveness{idle: idle, cancel: cancel}
	l.idleEnd = &deadline{wire.Errorf(wire.ModelTimeoutException,
		"Backend %q sent nothing for %v in the middle of its answer (idle_timeout).", b.Name, idle)}
	l.cause.Store(&deadline{wire.Errorf(wire.ModelTimeoutException,
		"Backend %q sent no content within %v of the request (first_token_timeout).", b.Name, firstToken)})
	l.timer = time.AfterFunc(firstToken, func() { cancel(l.cause.Load()) })
	return ctx, l
}

// Stop releases the timer and the context.
func (l *Liveness) Stop() {
	l.timer.Stop()
	l.cancel(nil)
}

// Started reports whether any event reached the consumer.
func (l *Liveness) Started() bool { return l.started }

// Emit yields events translated from one upstream chunk. Events with
// content stop the clock while the consumer has them and restart it with
// the idle timeout; a lone messageStart before any content is held back
// and goes out with the first content. It returns false when the consumer
// stopped.
func (l *Liveness) Emit(events []*wire.StreamEvent, yield func(*wire.StreamEvent, error) bool) bool {
	if len(events) == 0 {
		return true
	}
	if !l.started {
		content := false
		for _, ev := range events {
			if ev.MessageStart == nil {
				content = true
			}
		}
		if !content {
			l.held = append(l.held, events...)
			return true
		}
		l.started = true
		events = append(l.held, events...)
		l.held = nil
		l.cause.Store(l.idleEnd)
	}
	l.timer.Stop()
	for _, ev := range events {
		if !yield(ev, nil) {
			return false
		}
	}
	l.timer.Reset(l.idle)
	return true
}

// Fail is the error to yield when the stream fails with err. Before any
// event reached the consumer the failure travels as an ordinary error
// response, where ConverseStream has no ModelStreamErrorException: a
// model's failure there is a ModelErrorException, as on Converse.
func (l *Liveness) Fail(err error) error {
	var ex *wire.Exception
	if l.started || !errors.As(err, &ex) || ex.Type != wire.ModelStreamErrorException {
		return err
	}
	return &wire.Exception{Type: wire.ModelErrorException, Message: ex.Message, OriginalStatusCode: ex.OriginalStatusCode}
}
