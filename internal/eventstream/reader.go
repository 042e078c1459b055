package eventstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"math"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// DefaultMaxMessageBytes is the largest message Read accepts by default: the
// limit of aws-c-event-stream and botocore.
const DefaultMaxMessageBytes = 24 << 20

// ReadOptions configures Read and Events. The zero value means defaults.
type ReadOptions struct {
	// MaxMessageBytes bounds one message, prelude and CRCs included; zero
	// (or less) means DefaultMaxMessageBytes.
	MaxMessageBytes int
}

// Header limits of the framing (§8.2–8.3 of the wire digest). The aws-sdk-go-v2
// decoder checks none of them, and its encoder refuses values over
// maxHeaderValueLen, so a message breaking them could not be re-encoded.
const (
	maxHeaderValueLen = 1<<15 - 1
	preludeBytes      = 12
)

// ErrMessageTooLarge reports a message whose declared length exceeds
// ReadOptions.MaxMessageBytes. It is detected from the prelude alone, before
// any of the message is buffered.
var ErrMessageTooLarge = errors.New("event stream message too large")

// Read yields the messages of an event stream as the aws-sdk-go-v2 codec
// decodes them. The stream ends cleanly at EOF on a message boundary; EOF
// inside a message is an error wrapping io.ErrUnexpectedEOF, and checksum,
// length and header errors are errors too. An error is yielded once and ends
// the sequence. Read reads r only as far as the consumer pulls: breaking out
// leaves the rest of r unread.
func Read(r io.Reader, opts ReadOptions) iter.Seq2[eventstream.Message, error] {
	limit := opts.MaxMessageBytes
	if limit <= 0 {
		limit = DefaultMaxMessageBytes
	}
	return func(yield func(eventstream.Message, error) bool) {
		dec := eventstream.NewDecoder()
		var frame []byte
		for n := 0; ; n++ {
			msg, err := readMessage(r, dec, &frame, limit)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(eventstream.Message{}, fmt.Errorf("read event stream message %d: %w", n, err))
				return
			}
			if !yield(msg, nil) {
				return
			}
		}
	}
}

// readMessage reads one whole message into *frame and decodes it with the
// SDK's decoder. Buffering the frame first lets the prelude bound the read
// (the SDK decoder would trust any length) and keeps truncation distinct from
// a clean end. It returns io.EOF only at a message boundary.
func readMessage(r io.Reader, dec *eventstream.Decoder, frame *[]byte, limit int) (eventstream.Message, error) {
	var prelude [preludeBytes]byte
	if _, err := io.ReadFull(r, prelude[:]); err != nil {
		return eventstream.Message{}, err // io.EOF only if nothing was read
	}
	total := binary.BigEndian.Uint32(prelude[0:4])
	headersLen := binary.BigEndian.Uint32(prelude[4:8])
	// Check the prelude CRC before trusting its lengths: a corrupted length
	// would otherwise turn into a long read and a misleading EOF.
	if crc32.ChecksumIEEE(prelude[:8]) != binary.BigEndian.Uint32(prelude[8:12]) {
		return eventstream.Message{}, errors.New("prelude checksum mismatch")
	}
	switch {
	case total < frameOverhead:
		return eventstream.Message{}, fmt.Errorf("total length %d below the %d-byte minimum", total, frameOverhead)
	case uint64(total) > uint64(limit):
		return eventstream.Message{}, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, total, limit)
	case uint64(headersLen) > uint64(total-frameOverhead):
		return eventstream.Message{}, fmt.Errorf("headers length %d exceeds total length %d", headersLen, total)
	}

	if cap(*frame) < int(total) {
		*frame = make([]byte, total)
	}
	buf := (*frame)[:total]
	copy(buf, prelude[:])
	if _, err := io.ReadFull(r, buf[preludeBytes:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return eventstream.Message{}, err
	}

	br := bytes.NewReader(buf)
	// A nil payload buffer makes the decoder allocate the payload, so a
	// message stays valid after the next one is read.
	msg, err := dec.Decode(br, nil)
	if err != nil {
		if errors.Is(err, io.EOF) {
			// The frame is complete, so an EOF from the decoder means a
			// header ran past the headers section.
			err = fmt.Errorf("malformed headers: %w", io.ErrUnexpectedEOF)
		}
		return eventstream.Message{}, err
	}
	if br.Len() != 0 {
		return eventstream.Message{}, fmt.Errorf("%d bytes left in message after decoding", br.Len())
	}
	if err := checkHeaders(msg.Headers); err != nil {
		return eventstream.Message{}, err
	}
	return msg, nil
}

// checkHeaders enforces what the framing allows but the SDK decoder does not
// check, so that every message Read yields can be written again.
func checkHeaders(hs eventstream.Headers) error {
	for _, h := range hs {
		if h.Name == "" || !utf8.ValidString(h.Name) {
			return fmt.Errorf("invalid header name %q", h.Name)
		}
		switch v := h.Value.(type) {
		case eventstream.StringValue:
			if len(v) > maxHeaderValueLen {
				return fmt.Errorf("header %q: value of %d bytes exceeds %d", h.Name, len(v), maxHeaderValueLen)
			}
		case eventstream.BytesValue:
			if len(v) > maxHeaderValueLen {
				return fmt.Errorf("header %q: value of %d bytes exceeds %d", h.Name, len(v), maxHeaderValueLen)
			}
		case eventstream.TimestampValue:
			// The SDK encoder converts through UnixNano, which overflows
			// outside 1678–2262.
			if ms := time.Time(v).UnixMilli(); ms < math.MinInt64/int64(time.Millisecond) || ms > math.MaxInt64/int64(time.Millisecond) {
				return fmt.Errorf("header %q: timestamp out of range", h.Name)
			}
		}
	}
	return nil
}
