package eventstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/conversekit/converse/internal/wire"
)

// The InvokeModelWithResponseStream event (ResponseStream's chunk member,
// shape PayloadPart) and the exception member only that stream has.
const (
	eventChunk            = "chunk"
	modelTimeoutException = "modelTimeoutException"
)

// MaxChunkBytes bounds the bytes of one chunk (the PartBody shape).
const MaxChunkBytes = 1_000_000

// payloadPart is the JSON payload of a chunk event: the model-native
// bytes, base64-encoded by encoding/json.
type payloadPart struct {
	Bytes []byte `json:"bytes"`
}

// WriteChunk writes one InvokeModelWithResponseStream chunk event carrying
// b, the model's own JSON for one stream event.
func (w *Writer) WriteChunk(b []byte) error {
	if len(b) > MaxChunkBytes {
		return fmt.Errorf("write chunk: %d bytes, limit %d", len(b), MaxChunkBytes)
	}
	w.headers[0] = eventstream.Header{Name: headerEventType, Value: headerValue(eventChunk)}
	w.headers[2] = eventstream.Header{Name: headerMessageType, Value: eventstream.StringValue(messageTypeEvent)}
	if err := w.writeFrame(payloadPart{Bytes: b}); err != nil {
		return fmt.Errorf("write chunk event: %w", err)
	}
	return nil
}

// WriteInvokeException writes ex as an exception frame of
// InvokeModelWithResponseStream, whose ResponseStream also has a
// modelTimeoutException member; other types map as in WriteException.
func (w *Writer) WriteInvokeException(ex *wire.Exception) error {
	if ex == nil || ex.Type != wire.ModelTimeoutException {
		return w.WriteException(ex)
	}
	w.headers[0] = eventstream.Header{Name: headerExceptionType, Value: headerValue(modelTimeoutException)}
	w.headers[2] = eventstream.Header{Name: headerMessageType, Value: eventstream.StringValue(messageTypeException)}
	if err := w.writeFrame(ex); err != nil {
		return fmt.Errorf("write %s exception: %w", modelTimeoutException, err)
	}
	return nil
}

// Chunks yields the bytes of each chunk event of an
// InvokeModelWithResponseStream body; exception and error frames end it
// with a *wire.Exception, as in Events; other event types are skipped.
func Chunks(r io.Reader, opts ReadOptions) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for msg, err := range Read(r, opts) {
			if err != nil {
				yield(nil, err)
				return
			}
			b, err := decodeChunk(msg)
			if err != nil {
				yield(nil, err)
				return
			}
			if b == nil {
				continue
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

func decodeChunk(msg eventstream.Message) ([]byte, error) {
	mt, err := stringHeader(msg.Headers, headerMessageType)
	if err != nil {
		return nil, err
	}
	if mt != messageTypeEvent {
		_, err := decodeMessage(msg)
		if err == nil {
			err = errors.New("exception frame without an exception")
		}
		return nil, err
	}
	typ, err := stringHeader(msg.Headers, headerEventType)
	if err != nil {
		return nil, err
	}
	if typ != eventChunk {
		return nil, nil
	}
	var p payloadPart
	if err := json.Unmarshal(msg.Payload, &p); err != nil {
		return nil, fmt.Errorf("decode chunk payload: %w", err)
	}
	if p.Bytes == nil {
		p.Bytes = []byte{}
	}
	return p.Bytes, nil
}
