// Package eventstream writes and reads the application/vnd.amazon.eventstream
// framing of ConverseStream responses. The binary codec is aws-sdk-go-v2's
// aws/protocol/eventstream; this package adds what Bedrock puts on top of it
// (the three string headers, JSON payloads, exception and error frames), the
// flush after every frame, and size limits.
package eventstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/conversekit/converse/internal/wire"
)

// ContentType is the HTTP Content-Type of an event-stream response body.
const ContentType = "application/vnd.amazon.eventstream"

// MaxFrameBytes bounds every frame the Writer emits. Other decoders refuse
// messages over 24 MiB (aws-c-event-stream, botocore's payload limit); staying
// a third below leaves room for their header limits and any re-framing proxy.
const MaxFrameBytes = 16 << 20

// ErrFrameTooLarge reports a frame the Writer refused because it would exceed
// MaxFrameBytes. Nothing was written; the stream is still usable, e.g. for an
// exception frame.
var ErrFrameTooLarge = errors.New("event stream frame too large")

// Header names and the values Bedrock uses (§7.2 of the wire digest).
const (
	headerMessageType   = ":message-type"
	headerEventType     = ":event-type"
	headerExceptionType = ":exception-type"
	headerContentType   = ":content-type"
	headerErrorCode     = ":error-code"
	headerErrorMessage  = ":error-message"

	messageTypeEvent     = "event"
	messageTypeException = "exception"
	messageTypeError     = "error"

	contentTypeJSON = "application/json"
)

// frameOverhead is the prelude, its CRC and the message CRC.
const frameOverhead = 16

// Writer writes ConverseStream frames to an HTTP response body, flushing after
// each one so the client sees every event as it happens. A frame over
// MaxFrameBytes is refused with ErrFrameTooLarge before anything is written.
// Once a write or flush fails, every later call returns that failure, since the
// body may end in a partial frame. A Writer is not safe for concurrent use.
type Writer struct {
	w     io.Writer
	flush func() error

	// Reused for every frame: the codec's own buffers, the JSON buffer and the
	// header list, so a frame costs no more than the codec needs.
	enc     *eventstream.Encoder
	payload bytes.Buffer
	json    *json.Encoder
	headers [3]eventstream.Header

	// err is the first write or flush failure: after it the body may hold a
	// partial frame, so nothing more may be written.
	err error
}

// NewWriter returns a Writer on w. flush, when not nil, runs after every frame;
// a server passes http.NewResponseController(rw).Flush.
func NewWriter(w io.Writer, flush func() error) *Writer {
	wr := &Writer{w: w, flush: flush, enc: eventstream.NewEncoder()}
	wr.json = json.NewEncoder(&wr.payload)
	// The real service sends <, > and & unescaped; so do we, and the frames
	// stay as small as the text.
	wr.json.SetEscapeHTML(false)
	wr.headers[1] = eventstream.Header{Name: headerContentType, Value: eventstream.StringValue(contentTypeJSON)}
	return wr
}

// WriteEvent writes ev as one event frame: headers :event-type,
// :content-type and :message-type (in that order, as Bedrock sends them) and
// the compact JSON of the event's member as payload.
func (w *Writer) WriteEvent(ev *wire.StreamEvent) error {
	if ev == nil {
		return errors.New("write event: nil event")
	}
	if n := setMembers(ev); n != 1 {
		return fmt.Errorf("write event: %d members set, want exactly one", n)
	}
	typ := ev.EventType()
	if typ == "" {
		return errors.New("write event: no event member set (exceptions go through WriteException)")
	}
	w.headers[0] = eventstream.Header{Name: headerEventType, Value: headerValue(typ)}
	w.headers[2] = eventstream.Header{Name: headerMessageType, Value: eventstream.StringValue(messageTypeEvent)}
	if err := w.writeFrame(ev.Payload()); err != nil {
		return fmt.Errorf("write %s event: %w", typ, err)
	}
	return nil
}

// WriteException writes ex as the exception frame ConverseStream reports
// failures with once the response has started: :exception-type is the
// ConverseStreamOutput member ex maps to (wire.Exception.StreamMember, which
// may remap the type) and the payload is the JSON of the mapped exception,
// {"message":…} plus the extra members of the 424 shapes.
func (w *Writer) WriteException(ex *wire.Exception) error {
	if ex == nil {
		return errors.New("write exception: nil exception")
	}
	member, mapped := ex.StreamMember()
	w.headers[0] = eventstream.Header{Name: headerExceptionType, Value: headerValue(member)}
	w.headers[2] = eventstream.Header{Name: headerMessageType, Value: eventstream.StringValue(messageTypeException)}
	if err := w.writeFrame(mapped); err != nil {
		return fmt.Errorf("write %s exception: %w", member, err)
	}
	return nil
}

func (w *Writer) writeFrame(payload any) error {
	if w.err != nil {
		return w.err
	}
	w.payload.Reset()
	if err := w.json.Encode(payload); err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	body := bytes.TrimSuffix(w.payload.Bytes(), []byte{'\n'})

	// Only the :event-type / :exception-type value varies; the name lengths,
	// type bytes and length prefixes are 1+1+2 per header.
	size := frameOverhead + len(body)
	for _, h := range w.headers {
		size += 4 + len(h.Name) + len(h.Value.String())
	}
	if size > MaxFrameBytes {
		w.shrink()
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, size, MaxFrameBytes)
	}

	if err := w.enc.Encode(w.w, eventstream.Message{Headers: w.headers[:], Payload: body}); err != nil {
		w.err = fmt.Errorf("event stream broken by earlier error: %w", err)
		return err
	}
	w.shrink()
	if w.flush != nil {
		if err := w.flush(); err != nil {
			w.err = fmt.Errorf("event stream broken by earlier error: flush: %w", err)
			return fmt.Errorf("flush: %w", err)
		}
	}
	return nil
}

// shrink drops the JSON buffer after an unusually large frame, so one big
// image delta does not pin megabytes for the rest of a long stream.
func (w *Writer) shrink() {
	if w.payload.Cap() > 1<<20 {
		w.payload = bytes.Buffer{}
	}
}

// setMembers counts the set members of the ConverseStreamOutput union.
func setMembers(ev *wire.StreamEvent) int {
	n := 0
	for _, set := range [...]bool{
		ev.MessageStart != nil, ev.ContentBlockStart != nil, ev.ContentBlockDelta != nil,
		ev.ContentBlockStop != nil, ev.MessageStop != nil, ev.Metadata != nil,
		ev.InternalServerException != nil, ev.ModelStreamErrorException != nil,
		ev.ValidationException != nil, ev.ThrottlingException != nil,
		ev.ServiceUnavailableException != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

// headerValues are the :event-type and :exception-type values a Converse
// stream uses, made once: converting a string variable to an
// eventstream.Value (an interface) would allocate once per frame.
var headerValues = func() map[string]eventstream.Value {
	m := map[string]eventstream.Value{}
	for _, name := range []string{
		"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata",
		"internalServerException", "modelStreamErrorException", "validationException", "throttlingException", "serviceUnavailableException",
	} {
		m[name] = eventstream.StringValue(name)
	}
	return m
}()

// headerValue returns the header value for an event or exception name.
func headerValue(name string) eventstream.Value {
	if v, ok := headerValues[name]; ok {
		return v
	}
	return eventstream.StringValue(name)
}
