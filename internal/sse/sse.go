// Package sse reads Server-Sent Events (the text/event-stream format of the
// HTML standard) as a pulled iterator, with bounds on line and event size so
// a hostile upstream cannot make the reader grow without limit.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"sync"
)

// Default limits, generous for LLM streams (one chunk rarely exceeds a few
// kilobytes; a whole tool-call argument in one chunk may reach hundreds).
const (
	DefaultMaxLineBytes  = 1 << 20
	DefaultMaxEventBytes = 4 << 20
)

// ErrLineTooLong is returned (wrapped) when a line exceeds Options.MaxLineBytes.
var ErrLineTooLong = errors.New("sse: line too long")

// ErrEventTooLarge is returned (wrapped) when an event's data exceeds
// Options.MaxEventBytes.
var ErrEventTooLarge = errors.New("sse: event too large")

// Options bounds the reader. The zero value means the defaults.
type Options struct {
	// MaxLineBytes is the longest line accepted, without its line ending.
	MaxLineBytes int
	// MaxEventBytes is the most data one event may accumulate over all its
	// data lines.
	MaxEventBytes int
}

// Event is one dispatched event. Name is the event field ("" when the
// stream sent none; the standard's default type "message" is left to the
// caller). Data is the data lines joined with "\n". ID is the last event ID
// seen, which persists across events as the standard requires.
type Event struct {
	Name string
	Data string
	ID   string
}

// Read yields the events of r in order. Comments (lines starting with ':')
// and the retry field are skipped; an event with no data lines is not
// dispatched, as the standard says. Lines may end in "\n", "\r\n" or "\r".
// Unlike the standard, an event whose data lines are complete but which
// lacks the final blank line is still dispatched at EOF: some servers end
// the body right after "data: [DONE]\n". An unterminated last line may be
// truncated and is dropped. Sentinels such as OpenAI's "[DONE]" are ordinary data
// and left to the caller. An error is yielded once and ends the sequence.
func Read(r io.Reader, opts Options) iter.Seq2[Event, error] {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxEventBytes <= 0 {
		opts.MaxEventBytes = DefaultMaxEventBytes
	}
	return func(yield func(Event, error) bool) {
		br := readers.Get().(*bufio.Reader)
		br.Reset(r)
		defer func() { br.Reset(nil); readers.Put(br) }()
		lr := lineReader{r: br, max: opts.MaxLineBytes}
		var (
			data    bytes.Buffer
			name    string
			id      string
			hasData bool
		)
		first := true
		for {
			line, err := lr.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					yield(Event{}, err)
					return
				}
				if hasData {
					yield(Event{Name: name, Data: data.String(), ID: id}, nil)
				}
				return
			}
			if first {
				// A leading byte-order mark is ignored.
				line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
				first = false
			}
			if len(line) == 0 {
				if hasData {
					if !yield(Event{Name: name, Data: data.String(), ID: id}, nil) {
						return
					}
				}
				data.Reset()
				name, hasData = "", false
				continue
			}
			if line[0] == ':' {
				continue
			}
			field, value := line, []byte(nil)
			if i := bytes.IndexByte(line, ':'); i >= 0 {
				field, value = line[:i], line[i+1:]
				value = bytes.TrimPrefix(value, []byte(" "))
			}
			switch string(field) {
			case "data":
				n := len(value)
				if hasData {
					n++
				}
				if data.Len()+n > opts.MaxEventBytes {
					yield(Event{}, fmt.Errorf("%w: more than %d bytes of data", ErrEventTooLarge, opts.MaxEventBytes))
					return
				}
				if hasData {
					data.WriteByte('\n')
				}
				data.Write(value)
				hasData = true
			case "event":
				name = string(value)
			case "id":
				// An ID containing NUL is ignored, per the standard.
				if bytes.IndexByte(value, 0) < 0 {
					id = string(value)
				}
			}
		}
	}
}

// readers are the streams' read buffers, reused: every event's fields are
// copied out before the next read, so no buffer outlives its stream.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// lineReader splits on "\n", "\r\n" and "\r" without ever buffering more
// than max bytes of one line.
type lineReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	// skipLF is set after a lone '\r' so that a following '\n' (the second
	// half of "\r\n" split across reads) is not taken as an empty line.
	skipLF bool
}

// next returns the next line without its terminator; the slice is valid
// until the next call. It scans what the bufio.Reader holds for a
// terminator rather than reading byte by byte. A last line without a
// terminator is dropped, as the spec drops an unterminated event.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		if l.skipLF {
			b, err := l.r.ReadByte()
			if err != nil {
				return nil, l.readErr(err)
			}
			l.skipLF = false
			if b != '\n' {
				_ = l.r.UnreadByte()
			}
		}
		if l.r.Buffered() == 0 {
			if _, err := l.r.Peek(1); err != nil {
				return nil, l.readErr(err)
			}
		}
		chunk, _ := l.r.Peek(l.r.Buffered())
		i := bytes.IndexAny(chunk, "\r\n")
		if i < 0 {
			if len(l.buf)+len(chunk) > l.max {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, l.max)
			}
			l.buf = append(l.buf, chunk...)
			_, _ = l.r.Discard(len(chunk))
			continue
		}
		if len(l.buf)+i > l.max {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrLineTooLong, l.max)
		}
		l.buf = append(l.buf, chunk[:i]...)
		l.skipLF = chunk[i] == '\r'
		_, _ = l.r.Discard(i + 1)
		return l.buf, nil
	}
}

func (l *lineReader) readErr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("sse: read: %w", err)
}
