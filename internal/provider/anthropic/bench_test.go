package anthropic

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/sse"
	"github.com/conversekit/converse/internal/wire"
)

// BenchmarkStreamTranslate measures SSE parsing plus translation of the
// recorded 16 KB thinking stream (no HTTP).
func BenchmarkStreamTranslate(b *testing.B) {
	raw, err := os.ReadFile("testdata/stream/thinking.anthropic.sse")
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		st := p.newStreamState(&wire.ConverseRequest{}, time.Now())
		for ev, err := range sse.Read(bytes.NewReader(raw), sse.Options{}) {
			if err != nil {
				b.Fatal(err)
			}
			if _, done, err := st.handle(context.Background(), ev); err != nil || done {
				break
			}
		}
	}
}

// BenchmarkBuildRequest measures translating the media request (image,
// PDF, text documents, tool use and result).
func BenchmarkBuildRequest(b *testing.B) {
	raw, err := os.ReadFile("testdata/request/media.converse.json")
	if err != nil {
		b.Fatal(err)
	}
	var req wire.ConverseRequest
	if err := wire.Decode(raw, &req); err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.buildRequest(&req, "claude-sonnet-4-5", true); err != nil {
			b.Fatal(err)
		}
	}
}
