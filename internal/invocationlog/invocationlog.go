// Package invocationlog writes an opt-in JSON Lines record of every
// Converse and ConverseStream call, in the manner of Amazon Bedrock's model
// invocation logging: who called which model, which backend answered, how
// long it took, the usage and the outcome, and, only when configured, the
// request and response bodies with media bytes redacted and configured
// secrets scrubbed.
//
// The server opens an Invocation per call (it knows the request ID, the
// principal, the bytes exchanged and the outcome); the router adds the
// backend it chose through the call's context (Routed). Records are written
// by one goroutine behind a bounded queue, so a slow disk never holds a
// request: when the queue is full, records are dropped, counted and
// reported.
package invocationlog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conversekit/converse/internal/wire"
)

// Outcomes beside "ok" and the Bedrock exception types.
const (
	OK = "ok"
	// Cancelled marks a call whose client went away before the answer was
	// complete.
	Cancelled = "cancelled"
)

// Options configure a Log. Writer is required; zero values of the others
// mean the defaults.
type Options struct {
	// Writer receives one JSON line per Write call: a *File (rotated by
	// size) or standard output.
	Writer io.Writer
	// Bodies adds the request and response bodies to each record.
	Bodies bool
	// KeepMedia keeps base64 media ("bytes" members) in logged bodies;
	// by default each is replaced by a note of its length.
	KeepMedia bool
	// MaxBodyBytes bounds each logged body; a longer one is cut (0: 64 KiB).
	MaxBodyBytes int
	// Buffer is how many records may wait for the writer (0: 1024); when it
	// is full, records are dropped and counted rather than making requests
	// wait.
	Buffer int
	// Secrets are replaced by [REDACTED] wherever they would appear in a
	// record (a key a user pasted into a prompt, a backend echoing its API
	// key). Secrets shorter than MinSecretLen are ignored: too likely to be
	// ordinary words (the development secret "test").
	Secrets []string
	// Logger reports write failures and dropped records; nil discards.
	Logger *slog.Logger
}

// MinSecretLen is the shortest secret scrubbed from records.
const MinSecretLen = 8

// Log is an asynchronous invocation log. A nil *Log logs nothing.
type Log struct {
	opts    Options
	secrets [][]byte
	ch      chan *Record

	mu     sync.RWMutex // guards closed against sends on a closed ch
	closed bool
	once   sync.Once
	done   chan struct{}

	dropped  atomic.Uint64
	reported uint64 // drops already reported; writer goroutine only
	failing  bool   // the last write failed; writer goroutine only
}

// New starts a Log. Close it to flush the queue and stop its goroutine.
func New(opts Options) (*Log, error) {
	if opts.Writer == nil {
		return nil, errors.New("invocationlog: no writer")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 10
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{opts: opts, ch: make(chan *Record, opts.Buffer), done: make(chan struct{})}
	l.secrets = secretForms(opts.Secrets)
	go l.run()
	return l, nil
}

// Close writes the records still queued and stops the writer. It does not
// close Options.Writer. Records logged after Close are dropped.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.ch)
		l.mu.Unlock()
	})
	<-l.done
	return nil
}

// Dropped is how many records were dropped because the queue was full.
func (l *Log) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

func (l *Log) enqueue(rec *Record) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Add(1)
		return
	}
	select {
	case l.ch <- rec:
	default:
		l.dropped.Add(1)
	}
}

func (l *Log) run() {
	defer close(l.done)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for rec := range l.ch {
		buf.Reset()
		if err := enc.Encode(rec); err != nil {
			l.opts.Logger.Error("invocation log: encode record", "requestId", rec.RequestID, "error", err.Error())
			continue
		}
		line := scrub(buf.Bytes(), l.secrets)
		// One Write per line, so a rotating file never splits a record.
		_, err := l.opts.Writer.Write(line)
		switch {
		case err != nil && !l.failing:
			l.failing = true
			l.opts.Logger.Error("invocation log: write failed; records are lost until it recovers", "error", err.Error())
		case err == nil && l.failing:
			l.failing = false
			l.opts.Logger.Info("invocation log: writing again")
		}
		l.reportDrops()
	}
	l.reportDrops()
}

// reportDrops logs the drops since the last report, at most once per
// record written, so an overloaded log says so without flooding.
func (l *Log) reportDrops() {
	if n := l.dropped.Load(); n > l.reported {
		l.opts.Logger.Warn("invocation log: queue full, records dropped", "dropped", n-l.reported, "droppedTotal", n)
		l.reported = n
	}
}

type ctxKey struct{}

// Begin opens the record of one call. The returned context carries it, so
// that Routed can add the backend; a nil Log returns ctx and a nil
// Invocation, whose methods do nothing.
func (l *Log) Begin(ctx context.Context, operation, requestID, modelID string) (context.Context, *Invocation) {
	if l == nil {
		return ctx, nil
	}
	inv := &Invocation{log: l, start: time.Now()}
	inv.rec = Record{
		SchemaType: SchemaType, SchemaVersion: SchemaVersion, Timestamp: inv.start.UTC(),
		RequestID: requestID, Operation: operation, ModelID: modelID,
		Input: Input{InputContentType: "application/json"},
	}
	return context.WithValue(ctx, ctxKey{}, inv), inv
}

// Routed notes the backend and its model name for the call in ctx; the
// router calls it for every attempt, so the last one (the backend that
// answered, after fallbacks) is recorded. Without an open Invocation it
// does nothing.
func Routed(ctx context.Context, backend, upstreamModel string) {
	inv := FromContext(ctx)
	if inv == nil {
		return
	}
	inv.mu.Lock()
	inv.rec.Backend, inv.rec.UpstreamModelID = backend, upstreamModel
	inv.mu.Unlock()
}

// FromContext returns the Invocation Begin opened for ctx, or nil.
func FromContext(ctx context.Context) *Invocation {
	inv, _ := ctx.Value(ctxKey{}).(*Invocation)
	return inv
}

// Invocation collects one call's record. Its methods may be called on nil.
type Invocation struct {
	log   *Log
	start time.Time

	mu         sync.Mutex
	rec        Record
	body       []byte
	response   []byte
	events     bytes.Buffer
	eventBytes int  // size of the whole array of events
	cut        bool // events beyond MaxBodyBytes were left out
	firstToken bool
	failure    string
}

// Request notes the authenticated principal and the request body (kept,
// not copied: the caller must not modify it).
func (i *Invocation) Request(principal string, body []byte) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.Identity.Principal = principal
	if i.log.opts.Bodies {
		i.body = body
	}
}

// Fields notes the request members that label the call: requestMetadata
// and projectIdentifier.
func (i *Invocation) Fields(metadata map[string]string, project string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.RequestMetadata = metadata
	i.rec.ProjectIdentifier = project
}

// Estimated notes that the call's usage was counted offline because the
// backend reported none. Without an open Invocation it does nothing.
func Estimated(ctx context.Context) {
	inv := FromContext(ctx)
	if inv == nil {
		return
	}
	inv.mu.Lock()
	inv.rec.UsageEstimated = true
	inv.mu.Unlock()
}

// Response notes a Converse answer.
func (i *Invocation) Response(out *wire.ConverseResponse) {
	if i == nil || out == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.Output.OutputContentType = "application/json"
	i.usage(out.Usage)
	if i.log.opts.Bodies {
		i.response, _ = json.Marshal(out) // wire types always marshal
	}
}

// Event notes a ConverseStream event as it is sent.
func (i *Invocation) Event(ev *wire.StreamEvent) {
	if i == nil || ev == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.rec.Output.OutputContentType = "application/vnd.amazon.eventstream"
	if ev.ContentBlockDelta != nil && !i.firstToken {
		i.firstToken = true
		ms := millis(time.Since(i.start))
		i.rec.Timing.TimeToFirstTokenMs = &ms
	}
	if ev.Metadata != nil {
		i.usage(ev.Metadata.Usage)
	}
	if !i.log.opts.Bodies {
		return
	}
	b, _ := json.Marshal(ev)   // wire types always marshal
	i.eventBytes += len(b) + 1 // with its separator or bracket
	// Past the body limit the remaining events are only counted: the
	// record keeps the beginning of the stream and its full size.
	if i.cut || i.events.Len()+len(b)+2 > i.log.opts.MaxBodyBytes {
		i.cut = true
		return
	}
	if i.events.Len() == 0 {
		i.events.WriteByte('[')
	} else {
		i.events.WriteByte(',')
	}
	i.events.Write(b)
}

// Fail notes that a stream that had started ended with errorCode (an
// exception type or Cancelled); the HTTP status stays 200.
func (i *Invocation) Fail(errorCode string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.failure == "" {
		i.failure = errorCode
	}
}

func (i *Invocation) usage(u *wire.TokenUsage) {
	if u == nil {
		return
	}
	i.rec.Input.InputTokenCount = u.InputTokens
	i.rec.Output.OutputTokenCount = u.OutputTokens
	if u.CacheReadInputTokens != nil {
		i.rec.Input.CacheReadInputTokenCount = *u.CacheReadInputTokens
	}
	if u.CacheWriteInputTokens != nil {
		i.rec.Input.CacheWriteInputTokenCount = *u.CacheWriteInputTokens
	}
}

// End completes the record with the HTTP status and the exception type the
// client received ("" for none) and queues it. The bodies are redacted and
// cut here, in the request's goroutine, so what waits in the queue is
// bounded by the body limit.
func (i *Invocation) End(status int, errorCode string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	rec := i.rec
	rec.HTTPStatus = status
	rec.Timing.TotalMs = millis(time.Since(i.start))
	code := errorCode
	if code == "" {
		code = i.failure
	}
	rec.Outcome = OK
	if code != "" {
		rec.Outcome = code
		if code != Cancelled {
			rec.ErrorCode = code
		}
	}
	o := &i.log.opts
	if o.Bodies {
		if i.body != nil {
			rec.Input.InputBodyJSON, rec.Input.InputBodyTruncated, rec.Input.InputBodyBytes = i.log.body(i.body, len(i.body))
		}
		out, size := i.response, len(i.response)
		if i.eventBytes > 0 {
			if i.events.Len() == 0 { // the first event alone was too large
				i.events.WriteByte('[')
			}
			i.events.WriteByte(']')
			out, size = i.events.Bytes(), i.eventBytes+1
		}
		if out != nil {
			rec.Output.OutputBodyJSON, rec.Output.OutputBodyTruncated, rec.Output.OutputBodyBytes = i.log.body(out, size)
		}
	}
	i.log.enqueue(&rec)
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
