package openai

import (
	"net/http"
	"os"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// BenchmarkStream translates a recorded 50-chunk text stream, with the
// transport replaced by the bytes (no network).
func BenchmarkStream(b *testing.B) {
	body, err := os.ReadFile("testdata/stream/openai-text-no-usage.openai.sse")
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{BaseURL: "http://bench.invalid/v1", HTTPClient: &http.Client{Transport: bodyTransport(body)}})
	if err != nil {
		b.Fatal(err)
	}
	call := &provider.Call{UpstreamModel: "m", Request: &wire.ConverseRequest{}}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		for _, err := range p.ConverseStream(b.Context(), call) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkBuildRequest(b *testing.B) {
	raw, err := os.ReadFile("testdata/request/tool-history-parallel.converse.json")
	if err != nil {
		b.Fatal(err)
	}
	var req wire.ConverseRequest
	if err := wire.Decode(raw, &req); err != nil {
		b.Fatal(err)
	}
	p, err := New(Options{BaseURL: "http://bench.invalid/v1"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.buildRequest(&req, "m", true); err != nil {
			b.Fatal(err)
		}
	}
}
