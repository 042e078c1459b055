package eventstream

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// msgOpts compares decoded messages: TimestampValue wraps a time.Time, and
// the decoder leaves an empty payload or header list nil.
var msgOpts = cmp.Options{
	cmp.Comparer(func(a, b eventstream.TimestampValue) bool { return time.Time(a).Equal(time.Time(b)) }),
	cmpopts.EquateEmpty(),
}

// readAll collects a whole stream; it fails the test on an error.
func readAll(t testing.TB, data []byte) []eventstream.Message {
	t.Helper()
	var msgs []eventstream.Message
	for msg, err := range Read(bytes.NewReader(data), ReadOptions{}) {
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// readErr returns the error that ends the stream, nil if it ends cleanly.
func readErr(data []byte, opts ReadOptions) (n int, err error) {
	for _, err := range Read(bytes.NewReader(data), opts) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func encode(t testing.TB, msg eventstream.Message) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&b, msg); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b.Bytes()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodedVector is the JSON form of aws-sdk-go-v2's decoded/positive files
// (see testdata/NOTICE.md for its conventions).
type decodedVector struct {
	TotalLength   uint32 `json:"total_length"`
	HeadersLength uint32 `json:"headers_length"`
	PreludeCRC    int32  `json:"prelude_crc"`
	MessageCRC    int32  `json:"message_crc"`
	Payload       []byte `json:"payload"`
	Headers       []struct {
		Name  string          `json:"name"`
		Type  int             `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"headers"`
}

func (d decodedVector) message(t *testing.T) eventstream.Message {
	t.Helper()
	msg := eventstream.Message{Payload: d.Payload}
	for _, h := range d.Headers {
		var num int64
		var raw []byte
		switch h.Type {
		case 2, 3, 4, 5, 8:
			if err := json.Unmarshal(h.Value, &num); err != nil {
				t.Fatalf("header %s: %v", h.Name, err)
			}
		case 6, 7, 9:
			if err := json.Unmarshal(h.Value, &raw); err != nil {
				t.Fatalf("header %s: %v", h.Name, err)
			}
		}
		var v eventstream.Value
		switch h.Type {
		case 0:
			v = eventstream.BoolValue(true)
		case 1:
			v = eventstream.BoolValue(false)
		case 2:
			v = eventstream.Int8Value(num)
		case 3:
			v = eventstream.Int16Value(num)
		case 4:
			v = eventstream.Int32Value(num)
		case 5:
			v = eventstream.Int64Value(num)
		case 6:
			v = eventstream.BytesValue(raw)
		case 7:
			v = eventstream.StringValue(raw)
		case 8:
			v = eventstream.TimestampValue(time.UnixMilli(num).UTC())
		case 9:
			var u eventstream.UUIDValue
			if copy(u[:], raw) != 16 {
				t.Fatalf("header %s: uuid of %d bytes", h.Name, len(raw))
			}
			v = u
		default:
			t.Fatalf("header %s: type %d", h.Name, h.Type)
		}
		msg.Headers = append(msg.Headers, eventstream.Header{Name: h.Name, Value: v})
	}
	return msg
}

func TestAWSPositiveVectors(t *testing.T) {
	names, err := filepath.Glob("testdata/aws-sdk-go-v2/encoded/positive/*")
	if err != nil || len(names) != 5 {
		t.Fatalf("want 5 positive vectors, got %v (%v)", names, err)
	}
	for _, path := range names {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data := readFile(t, path)
			var want decodedVector
			if err := json.Unmarshal(readFile(t, filepath.Join("testdata/aws-sdk-go-v2/decoded/positive", name)), &want); err != nil {
				t.Fatal(err)
			}
			// The framing fields of the expectation describe these bytes.
			if got := binary.BigEndian.Uint32(data[0:]); got != want.TotalLength || int(got) != len(data) {
				t.Errorf("total length %d, file %d bytes, want %d", got, len(data), want.TotalLength)
			}
			if got := binary.BigEndian.Uint32(data[4:]); got != want.HeadersLength {
				t.Errorf("headers length %d, want %d", got, want.HeadersLength)
			}
			if got := binary.BigEndian.Uint32(data[8:]); got != uint32(want.PreludeCRC) {
				t.Errorf("prelude CRC %#x, want %#x", got, uint32(want.PreludeCRC))
			}
			if got := binary.BigEndian.Uint32(data[len(data)-4:]); got != uint32(want.MessageCRC) {
				t.Errorf("message CRC %#x, want %#x", got, uint32(want.MessageCRC))
			}

			wantMsg := want.message(t)
			got := readAll(t, data)
			if diff := cmp.Diff([]eventstream.Message{wantMsg}, got, msgOpts); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			if re := encode(t, wantMsg); !bytes.Equal(re, data) {
				t.Errorf("re-encoded\n%x\nwant\n%x", re, data)
			}
		})
	}
}

func TestSmithyPositiveVectors(t *testing.T) {
	uuid := eventstream.UUIDValue{0xb7, 0x9b, 0xc9, 0x14, 0xde, 0x21, 0x4e, 0x13, 0xb8, 0xb2, 0xbc, 0x47, 0xe8, 0x5b, 0x7f, 0x0b}
	tests := []struct {
		name string
		want eventstream.Message
	}{
		{"valid_with_all_headers_and_payload", eventstream.Message{
			Headers: eventstream.Headers{
				{Name: "true", Value: eventstream.BoolValue(true)},
				{Name: "false", Value: eventstream.BoolValue(false)},
				{Name: "byte", Value: eventstream.Int8Value(50)},
				{Name: "short", Value: eventstream.Int16Value(20000)},
				{Name: "int", Value: eventstream.Int32Value(500000)},
				{Name: "long", Value: eventstream.Int64Value(50000000000)},
				{Name: "bytes", Value: eventstream.BytesValue("some bytes")},
				{Name: "str", Value: eventstream.StringValue("some str")},
				{Name: "time", Value: eventstream.TimestampValue(time.UnixMilli(5000000000))},
				{Name: "uuid", Value: uuid},
			},
			Payload: []byte("some payload"),
		}},
		{"valid_empty_payload", eventstream.Message{
			Headers: eventstream.Headers{{Name: "some-header", Value: eventstream.Int16Value(500)}},
		}},
		{"valid_no_headers", eventstream.Message{Payload: []byte("another test payload")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFile(t, filepath.Join("testdata/smithy-rs", tt.name))
			got := readAll(t, data)
			if diff := cmp.Diff([]eventstream.Message{tt.want}, got, msgOpts); diff != "" {
				t.Errorf("decoded (-want +got):\n%s", diff)
			}
			if re := encode(t, tt.want); !bytes.Equal(re, data) {
				t.Errorf("re-encoded\n%x\nwant\n%x", re, data)
			}
		})
	}
}

func TestNegativeVectors(t *testing.T) {
	aws, _ := filepath.Glob("testdata/aws-sdk-go-v2/encoded/negative/*")
	smithy, _ := filepath.Glob("testdata/smithy-rs/invalid_*")
	if len(aws) != 4 || len(smithy) != 8 {
		t.Fatalf("want 4 + 8 negative vectors, got %d + %d", len(aws), len(smithy))
	}
	for _, path := range append(aws, smithy...) {
		t.Run(strings.TrimPrefix(path, "testdata/"), func(t *testing.T) {
			data := readFile(t, path)
			n, err := readErr(data, ReadOptions{})
			if err == nil || n != 0 {
				t.Fatalf("Read: %d messages, err %v; want rejection", n, err)
			}
			// The aws-sdk-go-v2 set names the failure; we check the
			// prelude CRC ourselves, so both kinds are told apart.
			if strings.Contains(path, "aws-sdk-go-v2") {
				want := strings.ToLower(strings.TrimSpace(string(readFile(t, strings.Replace(path, "encoded", "decoded", 1)))))
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			for _, err := range Events(bytes.NewReader(data), ReadOptions{}) {
				if err == nil {
					t.Error("Events accepted a corrupt message")
				}
			}
		})
	}
}

// chunkReader returns at most n bytes per Read, as a network might.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

// TestChunkedStream is smithy-rs's streaming test: three messages back to
// back, delivered in chunks of every size from 1 to 11 bytes.
func TestChunkedStream(t *testing.T) {
	var stream []byte
	var want []eventstream.Message
	for _, name := range []string{"valid_with_all_headers_and_payload", "valid_empty_payload", "valid_no_headers"} {
		data := readFile(t, filepath.Join("testdata/smithy-rs", name))
		stream = append(stream, data...)
		want = append(want, readAll(t, data)...)
	}
	for n := 1; n <= 11; n++ {
		var got []eventstream.Message
		for msg, err := range Read(&chunkReader{data: stream, n: n}, ReadOptions{}) {
			if err != nil {
				t.Fatalf("chunks of %d: %v", n, err)
			}
			got = append(got, msg)
		}
		if diff := cmp.Diff(want, got, msgOpts); diff != "" {
			t.Errorf("chunks of %d (-want +got):\n%s", n, diff)
		}
	}
}

// TestPayloadsSurviveLaterReads guards the decision to give every message its
// own payload: the frame buffer is reused, the payloads must not be.
func TestPayloadsSurviveLaterReads(t *testing.T) {
	a := encode(t, eventstream.Message{Payload: []byte("first")})
	b := encode(t, eventstream.Message{Payload: []byte("other")})
	got := readAll(t, append(a, b...))
	if len(got) != 2 || string(got[0].Payload) != "first" || string(got[1].Payload) != "other" {
		t.Errorf("payloads %q", got)
	}
}

func TestReadErrors(t *testing.T) {
	frame := encode(t, eventstream.Message{
		Headers: eventstream.Headers{{Name: "a", Value: eventstream.StringValue("b")}},
		Payload: []byte(`{"x":1}`),
	})
	tests := []struct {
		name    string
		data    []byte
		opts    ReadOptions
		wantN   int
		wantErr func(error) bool
	}{
		{"empty stream", nil, ReadOptions{}, 0, nil},
		{"two whole frames", append(append([]byte{}, frame...), frame...), ReadOptions{}, 2, nil},
		{"cut in the prelude", frame[:7], ReadOptions{}, 0, isUnexpectedEOF},
		{"cut after the prelude", frame[:12], ReadOptions{}, 0, isUnexpectedEOF},
		{"cut before the CRC", frame[:len(frame)-1], ReadOptions{}, 0, isUnexpectedEOF},
		{"second frame cut", append(append([]byte{}, frame...), frame[:20]...), ReadOptions{}, 1, isUnexpectedEOF},
		{"over the limit", frame, ReadOptions{MaxMessageBytes: len(frame) - 1}, 0, isTooLarge},
		{"at the limit", frame, ReadOptions{MaxMessageBytes: len(frame)}, 1, nil},
		{"length below minimum", withPrelude(15, 0), ReadOptions{}, 0, anyErr},
		{"headers longer than message", withPrelude(20, 5), ReadOptions{}, 0, anyErr},
		{"header running past its section", headerPastSection(t), ReadOptions{}, 0, anyErr},
		{"empty header name", encode(t, eventstream.Message{Headers: eventstream.Headers{{Name: "", Value: eventstream.BoolValue(true)}}}), ReadOptions{}, 0, anyErr},
		{"timestamp the encoder cannot write", timestampFrame(t, 1<<62), ReadOptions{}, 0, anyErr},
		{"timestamp in range", timestampFrame(t, 5000000000), ReadOptions{}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := readErr(tt.data, tt.opts)
			if n != tt.wantN {
				t.Errorf("%d messages before the end, want %d", n, tt.wantN)
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want a clean end", err)
			case tt.wantErr != nil && (err == nil || !tt.wantErr(err)):
				t.Errorf("err = %v, want the other kind", err)
			}
		})
	}
}

func isUnexpectedEOF(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }
func isTooLarge(err error) bool      { return errors.Is(err, ErrMessageTooLarge) }
func anyErr(err error) bool          { return err != nil }

// withPrelude is a frame of the given lengths with a valid prelude CRC and
// zero bytes after it.
func withPrelude(total, headers uint32) []byte {
	b := make([]byte, max(total, 16))
	binary.BigEndian.PutUint32(b[0:], total)
	binary.BigEndian.PutUint32(b[4:], headers)
	binary.BigEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[:8]))
	return b
}

// headerPastSection declares a headers section shorter than its one header,
// with valid CRCs, so only the header parser can notice.
func headerPastSection(t *testing.T) []byte {
	good := encode(t, eventstream.Message{Headers: eventstream.Headers{{Name: "name", Value: eventstream.StringValue("value")}}})
	b := append([]byte{}, good...)
	binary.BigEndian.PutUint32(b[4:], binary.BigEndian.Uint32(b[4:])-2)
	binary.BigEndian.PutUint32(b[8:], crc32.ChecksumIEEE(b[:8]))
	binary.BigEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

// timestampFrame is a message with one timestamp header of ms milliseconds,
// built by hand since the encoder cannot write out-of-range values.
func timestampFrame(t *testing.T, ms int64) []byte {
	t.Helper()
	var hdr bytes.Buffer
	hdr.WriteByte(1)
	hdr.WriteString("t")
	hdr.WriteByte(8)
	_ = binary.Write(&hdr, binary.BigEndian, ms)
	b := withPrelude(uint32(16+hdr.Len()), uint32(hdr.Len()))
	copy(b[12:], hdr.Bytes())
	binary.BigEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func TestEmptyMessageBytes(t *testing.T) {
	// §8.1: the empty message, for a decoder-independent anchor.
	want, _ := base64.StdEncoding.DecodeString("AAAAEAAAAAAFwkjrfZjI/w==")
	if got := encode(t, eventstream.Message{}); !bytes.Equal(got, want) {
		t.Errorf("empty message %x, want %x", got, want)
	}
}
