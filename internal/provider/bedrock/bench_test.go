package bedrock_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

// BenchmarkConverse is one forwarded Converse call (sign, send, decode)
// against a local upstream answering a fixed response.
func BenchmarkConverse(b *testing.B) {
	p := fake(b, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"output":{"message":{"role":"assistant","content":[{"text":"Overfitting is when a model learns noise."}]}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":9,"totalTokens":21},"metrics":{"latencyMs":5}}`)
	})
	c := testCall(b)
	for b.Loop() {
		if _, err := p.Converse(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConverseStream forwards a 1,000-delta stream and decodes every
// frame.
func BenchmarkConverseStream(b *testing.B) {
	evs := []*wire.StreamEvent{evStart}
	for range 1000 {
		evs = append(evs, evDelta)
	}
	evs = append(evs, evStop)
	body := frames(b, evs...)
	p := fake(b, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Write(body)
	})
	c := testCall(b)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		n := 0
		for _, err := range p.ConverseStream(b.Context(), c) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != len(evs) {
			b.Fatalf("%d events", n)
		}
	}
}
