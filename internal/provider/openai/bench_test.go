package openai

import (
	"bytes"
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

// BenchmarkStreamInterleavedToolArgs translates two parallel tool calls
// whose fragments interleave (as OpenAI's parallel calls may): the first
// call's 256 KiB of arguments arrive in 16-byte fragments while the second
// waits. Each fragment used to re-validate the whole input so far.
func BenchmarkStreamInterleavedToolArgs(b *testing.B) {
	var body bytes.Buffer
	chunk := func(s string) { body.WriteString("data: " + s + "\n\n") }
	chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"write","arguments":"{\"text\":\""}}]}}]}`)
	chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"read","arguments":"{}"}}]}}]}`)
	for range 256 << 10 / 16 {
		chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"abcdefghijklmnop"}}]}}]}`)
	}
	chunk(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]},"finish_reason":"tool_calls"}]}`)
	body.WriteString("data: [DONE]\n\n")
	p, err := New(Options{BaseURL: "http://bench.invalid/v1", HTTPClient: &http.Client{Transport: bodyTransport(body.Bytes())}})
	if err != nil {
		b.Fatal(err)
	}
	call := &provider.Call{UpstreamModel: "m", Request: &wire.ConverseRequest{}}
	b.SetBytes(int64(body.Len()))
	for b.Loop() {
		for _, err := range p.ConverseStream(b.Context(), call) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
