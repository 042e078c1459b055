package eventstream

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/conversekit/converse/internal/wire"
)

// Events yields the ConverseStream events of an event stream, as an AWS SDK
// client sees them:
//
//   - event frames become StreamEvents by :event-type; unknown event types
//     are skipped (boto3 and JS skip them) and unknown JSON members, such as
//     the "p" padding of the real service, are ignored;
//   - an exception frame ends the sequence with a *wire.Exception whose Type
//     is the shape name of its :exception-type member
//     (modelStreamErrorException → ModelStreamErrorException) and whose
//     message and extra members come from the payload;
//   - an error frame ends it with a *wire.Exception of Type :error-code and
//     Message :error-message;
//   - any other :message-type, a frame Read rejects, or an event payload that
//     does not decode ends it with an error.
func Events(r io.Reader, opts ReadOptions) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		for msg, err := range Read(r, opts) {
			if err != nil {
				yield(nil, err)
				return
			}
			ev, err := decodeMessage(msg)
			if err != nil {
				yield(nil, err)
				return
			}
			if ev == nil {
				continue // an event type this version does not know
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// decodeMessage turns one message into an event, nil for an unknown event
// type, or an error (a *wire.Exception for exception and error frames).
func decodeMessage(msg eventstream.Message) (*wire.StreamEvent, error) {
	mt, err := stringHeader(msg.Headers, headerMessageType)
	if err != nil {
		return nil, err
	}
	switch mt {
	case messageTypeEvent:
		typ, err := stringHeader(msg.Headers, headerEventType)
		if err != nil {
			return nil, err
		}
		return decodeEvent(typ, msg.Payload)
	case messageTypeException:
		member, err := stringHeader(msg.Headers, headerExceptionType)
		if err != nil {
			return nil, err
		}
		ex := &wire.Exception{}
		if len(msg.Payload) > 0 {
			// Go's case-insensitive field matching also accepts the
			// "Message" spelling botocore tolerates.
			if err := json.Unmarshal(msg.Payload, ex); err != nil {
				return nil, fmt.Errorf("decode %s exception payload: %w", member, err)
			}
		}
		ex.Type = shapeName(member)
		return nil, ex
	case messageTypeError:
		code, err := stringHeader(msg.Headers, headerErrorCode)
		if err != nil {
			return nil, err
		}
		// The message is optional here, though the JS SDK reads it
		// unconditionally, so our Writer never omits it.
		text, _ := stringHeader(msg.Headers, headerErrorMessage)
		return nil, &wire.Exception{Type: code, Message: text}
	}
	return nil, fmt.Errorf("unknown %s %q", headerMessageType, mt)
}

// decodeEvent decodes the payload of an event frame of type typ.
func decodeEvent(typ string, payload []byte) (*wire.StreamEvent, error) {
	ev := &wire.StreamEvent{}
	var dst any
	switch typ {
	case "messageStart":
		ev.MessageStart = &wire.MessageStartEvent{}
		dst = ev.MessageStart
	case "contentBlockStart":
		ev.ContentBlockStart = &wire.ContentBlockStartEvent{}
		dst = ev.ContentBlockStart
	case "contentBlockDelta":
		ev.ContentBlockDelta = &wire.ContentBlockDeltaEvent{}
		dst = ev.ContentBlockDelta
	case "contentBlockStop":
		ev.ContentBlockStop = &wire.ContentBlockStopEvent{}
		dst = ev.ContentBlockStop
	case "messageStop":
		ev.MessageStop = &wire.MessageStopEvent{}
		dst = ev.MessageStop
	case "metadata":
		ev.Metadata = &wire.ConverseStreamMetadataEvent{}
		dst = ev.Metadata
	default:
		return nil, nil
	}
	if err := json.Unmarshal(payload, dst); err != nil {
		return nil, fmt.Errorf("decode %s event payload: %w", typ, err)
	}
	return ev, nil
}

// stringHeader returns the value of a string header that must be present.
func stringHeader(hs eventstream.Headers, name string) (string, error) {
	v := hs.Get(name)
	if v == nil {
		return "", fmt.Errorf("message without %s header", name)
	}
	s, ok := v.(eventstream.StringValue)
	if !ok {
		return "", fmt.Errorf("header %s is not a string", name)
	}
	return string(s), nil
}

// shapeName turns a union member name into the shape name the SDKs type the
// exception by: the first letter upper-cased.
func shapeName(member string) string {
	r, size := utf8.DecodeRuneInString(member)
	if r == utf8.RuneError {
		return member
	}
	return string(unicode.ToUpper(r)) + member[size:]
}
