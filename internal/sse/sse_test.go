package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

func collect(t *testing.T, r io.Reader, opts Options) ([]Event, error) {
	t.Helper()
	var got []Event
	for ev, err := range Read(r, opts) {
		if err != nil {
			return got, err
		}
		got = append(got, ev)
	}
	return got, nil
}

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{
			name: "openai chunks and done",
			in:   "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n",
			want: []Event{{Data: `{"a":1}`}, {Data: `{"a":2}`}, {Data: "[DONE]"}},
		},
		{
			name: "crlf line endings",
			in:   "event: ping\r\ndata: x\r\n\r\ndata: y\r\n\r\n",
			want: []Event{{Name: "ping", Data: "x"}, {Data: "y"}},
		},
		{
			name: "lone cr line endings",
			in:   "data: x\r\rdata: y\r\r",
			want: []Event{{Data: "x"}, {Data: "y"}},
		},
		{
			name: "comments skipped (OpenRouter keep-alive)",
			in:   ": OPENROUTER PROCESSING\n\n: another\ndata: z\n\n",
			want: []Event{{Data: "z"}},
		},
		{
			name: "multi-line data joined with newline",
			in:   "data: one\ndata:two\ndata\n\n",
			want: []Event{{Data: "one\ntwo\n"}},
		},
		{
			name: "only one leading space removed",
			in:   "data:  padded\n\n",
			want: []Event{{Data: " padded"}},
		},
		{
			name: "event name resets, id persists",
			in:   "id: 7\nevent: message_start\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
			want: []Event{{Name: "message_start", Data: "a", ID: "7"}, {Data: "b", ID: "7"}, {Data: "c"}},
		},
		{
			name: "id with NUL ignored",
			in:   "id: 1\n\nid: a\x00b\ndata: x\n\n",
			want: []Event{{Data: "x", ID: "1"}},
		},
		{
			name: "event without data not dispatched",
			in:   "event: ping\n\nretry: 10\n\ndata: x\n\n",
			want: []Event{{Data: "x"}},
		},
		{
			name: "unknown fields ignored",
			in:   "foo: bar\ndata: x\nbaz\n\n",
			want: []Event{{Data: "x"}},
		},
		{
			name: "byte-order mark ignored",
			in:   "\xEF\xBB\xBFdata: x\n\n",
			want: []Event{{Data: "x"}},
		},
		{
			name: "last event without blank line still dispatched",
			in:   "data: a\n\ndata: [DONE]\n",
			want: []Event{{Data: "a"}, {Data: "[DONE]"}},
		},
		{
			name: "unterminated last line dropped",
			in:   "data: a\n\ndata: {\"trunc",
			want: []Event{{Data: "a"}},
		},
		{
			name: "empty input",
			in:   "",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{
				{"whole", strings.NewReader(tt.in)},
				{"one byte at a time", iotest.OneByteReader(strings.NewReader(tt.in))},
			} {
				got, err := collect(t, r.r, Options{})
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", r.name, diff)
				}
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []Event
		wantErr error
	}{
		{
			name:    "line too long",
			in:      "data: ok\n\ndata: " + strings.Repeat("x", 20) + "\n\n",
			opts:    Options{MaxLineBytes: 16},
			want:    []Event{{Data: "ok"}},
			wantErr: ErrLineTooLong,
		},
		{
			name: "line exactly at the limit",
			in:   "data: " + strings.Repeat("x", 10) + "\n\n",
			opts: Options{MaxLineBytes: 16},
			want: []Event{{Data: strings.Repeat("x", 10)}},
		},
		{
			name:    "comment too long is still bounded",
			in:      ":" + strings.Repeat("x", 100) + "\n",
			opts:    Options{MaxLineBytes: 16},
			wantErr: ErrLineTooLong,
		},
		{
			name:    "event too large over many lines",
			in:      strings.Repeat("data: 0123456789\n", 10) + "\n",
			opts:    Options{MaxEventBytes: 50},
			wantErr: ErrEventTooLarge,
		},
		{
			name: "event at the limit",
			in:   "data: 01234\ndata: 56789\n\n",
			opts: Options{MaxEventBytes: 11},
			want: []Event{{Data: "01234\n56789"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, strings.NewReader(tt.in), tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("data: a\n\ndata: b"), iotest.ErrReader(boom))
	got, err := collect(t, r, Options{})
	if !errors.Is(err, boom) {
		t.Fatalf("error = %v, want %v", err, boom)
	}
	if diff := cmp.Diff([]Event{{Data: "a"}}, got); diff != "" {
		t.Errorf("events before the error (-want +got):\n%s", diff)
	}
}

func TestReadStopsWhenConsumerBreaks(t *testing.T) {
	r := &countingReader{r: strings.NewReader("data: a\n\n" + strings.Repeat("data: more\n\n", 10000))}
	for ev, err := range Read(r, Options{}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Data != "a" {
			t.Fatalf("first event = %q", ev.Data)
		}
		break
	}
	if r.n > 4096 {
		t.Errorf("read %d bytes after the consumer stopped at the first event", r.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
