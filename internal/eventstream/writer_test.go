package eventstream

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

// Frames computed independently for the wire digest (§8.4 and
// eventstream-vectors.md §3) and checked there against the AWS SDK decoder.
const (
	messageStartHex = "000000760000005296d5fade0b3a6576656e742d7479706507000c6d65737361676553746172740d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b22726f6c65223a22617373697374616e74227d6fa8c599"
	throttlingHex   = "00000090000000618e91a9b70f3a657863657074696f6e2d747970650700137468726f74746c696e67457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a22546f6f206d616e79207265717565737473227de67f8005"
)

func TestWriterByteExact(t *testing.T) {
	tests := []struct {
		name  string
		write func(*Writer) error
		want  string
	}{
		{"messageStart", func(w *Writer) error {
			return w.WriteEvent(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}})
		}, messageStartHex},
		{"throttlingException", func(w *Writer) error {
			return w.WriteException(wire.Errorf(wire.ThrottlingException, "Too many requests"))
		}, throttlingHex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(NewWriter(&b, nil)); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b.Bytes()); got != tt.want {
				t.Errorf("frame\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
	if n := len(messageStartHex) / 2; n != 118 {
		t.Errorf("§8.4 frame is %d bytes, want 118", n)
	}
}

// TestWriterFrames checks each frame's headers (names, order, types) and
// payload through the SDK decoder, independently of Events.
func TestWriterFrames(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, nil)
	if err := w.WriteEvent(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{
		ContentBlockIndex: 2, Delta: &wire.ContentBlockDelta{Text: wire.Ptr("<b>&</b>")},
	}}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteException(&wire.Exception{Type: wire.ModelErrorException, Message: "boom", OriginalStatusCode: 503, OriginalMessage: "upstream"}); err != nil {
		t.Fatal(err)
	}
	str := func(s string) eventstream.Value { return eventstream.StringValue(s) }
	want := []eventstream.Message{
		{Headers: eventstream.Headers{
			{Name: ":event-type", Value: str("contentBlockDelta")},
			{Name: ":content-type", Value: str("application/json")},
			{Name: ":message-type", Value: str("event")},
		}, Payload: []byte(`{"delta":{"text":"<b>&</b>"},"contentBlockIndex":2}`)},
		{Headers: eventstream.Headers{
			{Name: ":exception-type", Value: str("modelStreamErrorException")},
			{Name: ":content-type", Value: str("application/json")},
			{Name: ":message-type", Value: str("exception")},
		}, Payload: []byte(`{"message":"boom","originalStatusCode":503,"originalMessage":"upstream"}`)},
	}
	if diff := cmp.Diff(want, readAll(t, b.Bytes()), msgOpts); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
}

func TestWriterFlushesEveryFrame(t *testing.T) {
	var b bytes.Buffer
	var flushedAt []int
	w := NewWriter(&b, func() error { flushedAt = append(flushedAt, b.Len()); return nil })
	for _, ev := range sampleEvents()[:3] {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteException(wire.Errorf(wire.ValidationException, "bad")); err != nil {
		t.Fatal(err)
	}
	// Each flush must come after its whole frame and before the next one.
	var ends []int
	end := 0
	for _, msg := range readAll(t, b.Bytes()) {
		end += len(encode(t, msg))
		ends = append(ends, end)
	}
	if diff := cmp.Diff(ends, flushedAt); diff != "" {
		t.Errorf("flush offsets (-frame ends +flushes):\n%s", diff)
	}
}

func TestWriterRejects(t *testing.T) {
	tests := []struct {
		name string
		ev   *wire.StreamEvent
	}{
		{"nil", nil},
		{"no member", &wire.StreamEvent{}},
		{"two members", &wire.StreamEvent{
			MessageStart:     &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant},
			ContentBlockStop: &wire.ContentBlockStopEvent{},
		}},
		{"exception member", &wire.StreamEvent{ThrottlingException: wire.Errorf(wire.ThrottlingException, "x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := NewWriter(&b, nil).WriteEvent(tt.ev); err == nil {
				t.Error("WriteEvent accepted it")
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes", b.Len())
			}
		})
	}
	var b bytes.Buffer
	if err := NewWriter(&b, nil).WriteException(nil); err == nil || b.Len() != 0 {
		t.Errorf("WriteException(nil) = %v, wrote %d bytes", err, b.Len())
	}
}

func TestWriterRefusesOversizeFrame(t *testing.T) {
	var b bytes.Buffer
	flushes := 0
	w := NewWriter(&b, func() error { flushes++; return nil })
	huge := strings.Repeat("x", MaxFrameBytes)
	err := w.WriteEvent(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &huge}}})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if b.Len() != 0 || flushes != 0 {
		t.Fatalf("wrote %d bytes, flushed %d times", b.Len(), flushes)
	}
	// The stream is still usable: the server reports the failure in it.
	if err := w.WriteException(wire.Errorf(wire.InternalServerException, "too big")); err != nil {
		t.Fatal(err)
	}

	// The largest frame that fits is written.
	b.Reset()
	fit := strings.Repeat("x", MaxFrameBytes-len(messageStartHex)) // leaves room for headers and JSON
	if err := w.WriteEvent(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: &fit}}}); err != nil {
		t.Fatalf("frame under the limit: %v", err)
	}
	if b.Len() > MaxFrameBytes {
		t.Errorf("frame of %d bytes exceeds %d", b.Len(), MaxFrameBytes)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("connection reset")
}

func TestWriterErrorsAreSticky(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw, nil)
	ev := sampleEvents()[0]
	if err := w.WriteEvent(ev); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("first write: %v", err)
	}
	if err := w.WriteEvent(ev); err == nil {
		t.Fatal("second write succeeded after a broken one")
	}
	if fw.n != 1 {
		t.Errorf("underlying writer called %d times, want 1", fw.n)
	}

	var b bytes.Buffer
	w = NewWriter(&b, func() error { return errors.New("gone") })
	if err := w.WriteEvent(ev); err == nil {
		t.Fatal("flush error not reported")
	}
	n := b.Len()
	if err := w.WriteEvent(ev); err == nil || b.Len() != n {
		t.Errorf("write after failed flush: err %v, %d new bytes", err, b.Len()-n)
	}
}

// Every frame the Writer makes is byte for byte what the SDK's own encoder
// makes of the same headers and payload: the hand-made header blocks and
// CRCs change nothing on the wire.
func TestWriterMatchesSDKEncoder(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, nil)
	for _, ev := range sampleEvents() {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, ex := range []*wire.Exception{
		wire.Errorf(wire.ThrottlingException, "Too many requests"),
		wire.Errorf(wire.ValidationException, "bad <input> & \"quotes\""),
		wire.Errorf(wire.InternalServerException, "oops"),
		wire.Errorf(wire.ServiceUnavailableException, "later"),
		{Type: wire.ModelErrorException, Message: "boom", OriginalStatusCode: 503, OriginalMessage: "upstream"},
		{Type: "SomeFutureException", Message: "a member no table knows"},
	} {
		if err := w.WriteException(ex); err != nil {
			t.Fatal(err)
		}
	}
	var want bytes.Buffer
	for _, msg := range readAll(t, b.Bytes()) {
		want.Write(encode(t, msg))
	}
	if !bytes.Equal(b.Bytes(), want.Bytes()) {
		t.Errorf("frames differ from the SDK encoder's:\n got %x\nwant %x", b.Bytes(), want.Bytes())
	}
}

// A buffered Writer flushes only when told, once for everything written
// since the last flush, and not at all when nothing was written.
func TestBufferedWriterFlushesOnRequest(t *testing.T) {
	var b bytes.Buffer
	var flushedAt []int
	w := NewBufferedWriter(&b, func() error { flushedAt = append(flushedAt, b.Len()); return nil })
	if err := w.Flush(); err != nil || len(flushedAt) != 0 {
		t.Fatalf("Flush before any frame: %v, flushed %v", err, flushedAt)
	}
	evs := sampleEvents()
	for _, ev := range evs[:3] {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(flushedAt) != 0 || !w.Pending() {
		t.Fatalf("flushed at %v before Flush, pending %v", flushedAt, w.Pending())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEvent(evs[3]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	frames := readAll(t, b.Bytes())
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4", len(frames))
	}
	three := 0
	for _, msg := range frames[:3] {
		three += len(encode(t, msg))
	}
	if diff := cmp.Diff([]int{three, b.Len()}, flushedAt); diff != "" {
		t.Errorf("flush offsets (-want +got):\n%s", diff)
	}

	// A failed flush breaks the writer like a failed write.
	w = NewBufferedWriter(&b, func() error { return errors.New("gone") })
	if err := w.WriteEvent(evs[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err == nil {
		t.Fatal("flush error not reported")
	}
	if err := w.WriteEvent(evs[0]); err == nil {
		t.Error("write after a failed flush succeeded")
	}
}

// Writing a text delta, the commonest frame, allocates nothing once the
// frame buffer has grown (the SDK's encoder allocated 19 times a frame).
func TestWriterAllocations(t *testing.T) {
	ev := &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{
		Delta: &wire.ContentBlockDelta{Text: wire.Ptr(" the quick brown fox")},
	}}
	w := NewWriter(io.Discard, func() error { return nil })
	if n := testing.AllocsPerRun(100, func() {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per frame, want 0", n)
	}
}
