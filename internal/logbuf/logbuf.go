// Package logbuf takes log lines off the request path: a Writer collects
// what the logger writes and hands it to the real output (stderr, a file)
// in batches, a short while after the first line of a batch, instead of one
// write system call per line on the goroutine that logged it. Warnings and
// errors go out at once (Urgent).
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultDelay    = 50 * time.Millisecond
	DefaultMaxBytes = 64 << 10
)

// Options configure a Writer; the zero value means the defaults.
type Options struct {
	// Delay is the longest a line waits before it is written
	// (DefaultDelay). Lines written at the same time leave together.
	Delay time.Duration
	// MaxBytes is the size at which a batch is written at once, by the
	// goroutine whose line filled it (DefaultMaxBytes).
	MaxBytes int
}

// Writer batches writes to an io.Writer. It is safe for concurrent use.
// Close writes what is left; lines written within the delay before a crash
// are lost, which is the price of not paying a system call per line.
type Writer struct {
	out   io.Writer
	delay time.Duration
	max   int

	mu     sync.Mutex // guards buf, spare, timer
	buf    []byte
	spare  []byte
	timer  *time.Timer
	closed bool

	outMu sync.Mutex // serializes writes to out, in order
}

// New returns a Writer on out.
func New(out io.Writer, opts Options) *Writer {
	w := &Writer{out: out, delay: opts.Delay, max: opts.MaxBytes}
	if w.delay <= 0 {
		w.delay = DefaultDelay
	}
	if w.max <= 0 {
		w.max = DefaultMaxBytes
	}
	w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
	w.timer.Stop()
	return w
}

// Write queues p (one log line, as slog writes it). It never fails: the
// output's errors have nowhere to go.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.outMu.Lock()
		defer w.outMu.Unlock()
		return w.out.Write(p)
	}
	if len(w.buf) == 0 {
		w.timer.Reset(w.delay)
	}
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= w.max
	w.mu.Unlock()
	if full {
		_ = w.Flush()
	}
	return len(p), nil
}

// Flush writes every queued line now.
func (w *Writer) Flush() error {
	w.outMu.Lock()
	defer w.outMu.Unlock()
	w.mu.Lock()
	batch := w.buf
	w.buf, w.spare = w.spare[:0], nil
	w.timer.Stop()
	w.mu.Unlock()
	if len(batch) == 0 {
		w.mu.Lock()
		w.spare = batch
		w.mu.Unlock()
		return nil
	}
	_, err := w.out.Write(batch)
	w.mu.Lock()
	if cap(batch) <= 4*w.max { // keep ordinary buffers, drop a huge one
		w.spare = batch[:0]
	}
	w.mu.Unlock()
	return err
}

// Close writes what is queued; later writes go straight to the output.
func (w *Writer) Close() error {
	err := w.Flush()
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	return err
}

// Urgent wraps a slog handler that writes to w so that a record at warn
// level or above leaves at once, with everything queued before it: failures
// show up in the log as they happen, while per-request info lines are
// batched.
func Urgent(h slog.Handler, w *Writer) slog.Handler { return urgent{h, w} }

type urgent struct {
	slog.Handler
	w *Writer
}

func (u urgent) Handle(ctx context.Context, r slog.Record) error {
	err := u.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := u.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (u urgent) WithAttrs(attrs []slog.Attr) slog.Handler {
	return urgent{u.Handler.WithAttrs(attrs), u.w}
}

func (u urgent) WithGroup(name string) slog.Handler { return urgent{u.Handler.WithGroup(name), u.w} }
