package sse

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: ping\r\ndata: x\r\n\r\n",
		": comment\nid: 3\ndata: a\ndata: b\n\n",
		"data: x\r\rdata",
		"\xEF\xBB\xBFdata:\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const maxLine, maxEvent = 64, 128
		n := 0
		for ev, err := range Read(bytes.NewReader(in), Options{MaxLineBytes: maxLine, MaxEventBytes: maxEvent}) {
			if err != nil {
				break
			}
			n++
			if len(ev.Data) > maxEvent {
				t.Fatalf("event data of %d bytes exceeds the %d-byte limit", len(ev.Data), maxEvent)
			}
			if len(ev.Name) > maxLine || len(ev.ID) > maxLine {
				t.Fatalf("field longer than a line: %q %q", ev.Name, ev.ID)
			}
			if strings.ContainsAny(ev.Name, "\r\n") || strings.ContainsAny(ev.ID, "\r\n") {
				t.Fatalf("line ending inside a field: %q %q", ev.Name, ev.ID)
			}
			if strings.ContainsRune(ev.Data, '\r') {
				t.Fatalf("carriage return inside data: %q", ev.Data)
			}
		}
		// Every dispatched event needs at least one "data" field.
		if n > bytes.Count(in, []byte("data")) {
			t.Fatalf("%d events from %d data fields", n, bytes.Count(in, []byte("data")))
		}
	})
}
