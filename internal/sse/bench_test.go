package sse

import (
	"strings"
	"testing"
)

func BenchmarkRead(b *testing.B) {
	chunk := `data: {"id":"chatcmpl-C4Hq5a6K3RaPMymUv70btQNYv6SvY","object":"chat.completion.chunk","created":1755137921,"model":"gpt-5-nano-2025-08-07","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}` + "\n\n"
	in := strings.Repeat(chunk, 1000) + "data: [DONE]\n\n"
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		for _, err := range Read(strings.NewReader(in), Options{}) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
