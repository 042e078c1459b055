package eventstream

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

func BenchmarkWriteEvent(b *testing.B) {
	ev := &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{
		ContentBlockIndex: 0,
		Delta:             &wire.ContentBlockDelta{Text: wire.Ptr(" the quick brown fox")},
	}}
	w := NewWriter(io.Discard, func() error { return nil })
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteEvent(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvents(b *testing.B) {
	data, err := os.ReadFile("testdata/bedrock-text.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range Events(bytes.NewReader(data), ReadOptions{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
