// Package eventstream writes and reads the application/vnd.amazon.eventstream
// framing of ConverseStream responses. Frames are read with aws-sdk-go-v2's
// aws/protocol/eventstream decoder and written by an encoder of our own for
// the few frame shapes Bedrock sends (the three string headers, JSON
// payloads, exception and error frames), which costs no allocation per
// frame; this package adds flushing (after every frame, or when the owner
// says no further frame is ready) and size limits.
package eventstream

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

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

// stringHeaderType is the type byte of a string header value (the SDK's
// stringValueType, unexported there).
const stringHeaderType = 7

// frameOverhead is the prelude, its CRC and the message CRC.
const frameOverhead = 16

// Writer writes ConverseStream frames to an HTTP response body. By default it
// flushes after each frame so the client sees every event as it happens; a
// Writer made with NewBufferedWriter leaves flushing to its owner (Flush),
// which coalesces frames that are ready together into one write. A frame over
// MaxFrameBytes is refused with ErrFrameTooLarge before anything is written.
// Once a write or flush fails, every later call returns that failure, since
// the body may end in a partial frame. A Writer is not safe for concurrent
// use.
//
// Frames are encoded here rather than by the SDK's eventstream.Encoder, which
// allocates about 19 times per frame: the three headers of each event type
// are encoded once (headerBlocks), the payload's JSON is encoded straight
// into the frame buffer, and the frame goes out in one Write. The SDK's
// decoder reads every frame back in the tests.
type Writer struct {
	w     io.Writer
	flush func() error
	// each says to flush after every frame; pending that a frame was
	// written since the last flush.
	each, pending bool

	// frame is the frame being built, reused for every frame; json encodes
	// the payload into it.
	frame bytes.Buffer
	json  *json.Encoder

	// err is the first write or flush failure: after it the body may hold a
	// partial frame, so nothing more may be written.
	err error
}

// NewWriter returns a Writer on w. flush, when not nil, runs after every frame;
// a server passes http.NewResponseController(rw).Flush.
func NewWriter(w io.Writer, flush func() error) *Writer {
	wr := NewBufferedWriter(w, flush)
	wr.each = true
	return wr
}

// NewBufferedWriter returns a Writer on w that flushes only when Flush is
// called: its owner knows when no further frame is ready (the backend is
// about to be waited on) and flushes then.
func NewBufferedWriter(w io.Writer, flush func() error) *Writer {
	wr := &Writer{w: w, flush: flush}
	wr.json = json.NewEncoder(&wr.frame)
	// The real service sends <, > and & unescaped; so do we, and the frames
	// stay as small as the text.
	wr.json.SetEscapeHTML(false)
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
	if err := w.writeFrame(headerBlock(headerEventType, typ, messageTypeEvent), ev.Payload()); err != nil {
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
	if err := w.writeFrame(headerBlock(headerExceptionType, member, messageTypeException), mapped); err != nil {
		return fmt.Errorf("write %s exception: %w", member, err)
	}
	return nil
}

// Flush flushes the frames written since the last flush, if any. After a
// failure the Writer is broken, as after a failed write.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if !w.pending || w.flush == nil {
		w.pending = false
		return nil
	}
	w.pending = false
	if err := w.flush(); err != nil {
		w.err = fmt.Errorf("event stream broken by earlier error: flush: %w", err)
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// Pending reports whether frames were written since the last flush.
func (w *Writer) Pending() bool { return w.pending }

func (w *Writer) writeFrame(headers []byte, payload any) error {
	if w.err != nil {
		return w.err
	}
	f := &w.frame
	f.Reset()
	var prelude [preludeBytes]byte // filled in once the sizes are known
	f.Write(prelude[:])
	f.Write(headers)
	if err := w.json.Encode(payload); err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	f.Truncate(f.Len() - 1) // the Encoder's newline
	size := f.Len() + 4
	if size > MaxFrameBytes {
		w.shrink()
		return fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, size, MaxFrameBytes)
	}
	b := f.Bytes()
	binary.BigEndian.PutUint32(b[0:4], uint32(size))
	binary.BigEndian.PutUint32(b[4:8], uint32(len(headers)))
	binary.BigEndian.PutUint32(b[8:12], crc32.ChecksumIEEE(b[:8]))
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))

	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("event stream broken by earlier error: %w", err)
		return err
	}
	w.pending = true
	w.shrink()
	if w.each {
		return w.Flush()
	}
	return nil
}

// shrink drops the JSON buffer after an unusually large frame, so one big
// image delta does not pin megabytes for the rest of a long stream.
func (w *Writer) shrink() {
	if w.frame.Cap() > 1<<20 {
		w.frame = bytes.Buffer{}
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

// headerBlocks are the encoded headers of every event and exception frame a
// Converse stream uses, made once. The first header (:event-type or
// :exception-type) names the member; :content-type and :message-type follow,
// as Bedrock orders them.
var headerBlocks = func() map[string][]byte {
	m := map[string][]byte{}
	for _, name := range []string{"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata", eventChunk} {
		m[headerEventType+name] = encodeHeaders(headerEventType, name, messageTypeEvent)
	}
	for _, name := range []string{"internalServerException", "modelStreamErrorException", "validationException", "throttlingException", "serviceUnavailableException", modelTimeoutException} {
		m[headerExceptionType+name] = encodeHeaders(headerExceptionType, name, messageTypeException)
	}
	return m
}()

// headerBlock returns the encoded headers of a frame whose first header is
// kind (:event-type or :exception-type) with value name.
func headerBlock(kind, name, messageType string) []byte {
	if b, ok := headerBlocks[kind+name]; ok {
		return b
	}
	return encodeHeaders(kind, name, messageType)
}

// encodeHeaders encodes the three string headers of a frame: each is its
// name's length (1 byte), the name, the string type (7), the value's length
// (2 bytes, big-endian) and the value.
func encodeHeaders(kind, name, messageType string) []byte {
	var b []byte
	for _, h := range [...][2]string{{kind, name}, {headerContentType, contentTypeJSON}, {headerMessageType, messageType}} {
		b = append(b, byte(len(h[0])))
		b = append(b, h[0]...)
		b = append(b, stringHeaderType)
		b = binary.BigEndian.AppendUint16(b, uint16(len(h[1])))
		b = append(b, h[1]...)
	}
	return b
}
