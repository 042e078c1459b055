package tokens

import (
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

// BenchmarkNew measures building a Counter. Run with -benchtime=1x in a
// fresh process to see the first construction, which also fills the
// vocabulary map; later ones only compile the split expression.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkText counts about 4 KB of English prose.
func BenchmarkText(b *testing.B) {
	c := newCounter(b)
	s := opticks(b)[20000:24096]
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		c.Text(s)
	}
	b.ReportMetric(float64(c.Text(s)), "tokens/op")
}

// BenchmarkTextWhole is BenchmarkText without segmenting, for comparison.
func BenchmarkTextWhole(b *testing.B) {
	c := newCounter(b)
	s := opticks(b)[20000:24096]
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := c.codec.Count(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTextWhitespace counts 64 KB of mixed whitespace, the input on
// which the tokenizer is quadratic without segmenting.
func BenchmarkTextWhitespace(b *testing.B) {
	c := newCounter(b)
	s := strings.Repeat("\n \t ", 16<<10)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		c.Text(s)
	}
}

// BenchmarkConverse counts a 100 KB prompt: a tool, a system prompt and 24
// messages of prose, an image and three cache points.
func BenchmarkConverse(b *testing.B) {
	c := newCounter(b)
	prose := opticks(b)
	in := Input{
		System: []wire.SystemContentBlock{sysText(prose[:4000]), {CachePoint: cachePoint}},
		ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{
			weatherTool(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}`),
			{CachePoint: cachePoint},
		}},
	}
	rest := prose[4000:]
	for i := 0; len(rest) > 0; i++ {
		n := min(len(rest), 4000)
		if i%2 == 0 {
			in.Messages = append(in.Messages, user(text(rest[:n])))
		} else {
			in.Messages = append(in.Messages, assistant(text(rest[:n])))
		}
		rest = rest[n:]
	}
	in.Messages[0].Content = append(in.Messages[0].Content, wire.ContentBlock{Image: &wire.ImageBlock{
		Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: pngBytes(b, 640, 480)},
	}})
	last := &in.Messages[len(in.Messages)-2]
	last.Content = append(last.Content, wire.ContentBlock{CachePoint: cachePoint})

	b.SetBytes(int64(len(prose)))
	for b.Loop() {
		c.Converse(in)
	}
	b.ReportMetric(float64(c.Converse(in).Total), "tokens/op")
}

// BenchmarkTextCold is BenchmarkText with an empty piece cache every time:
// the cost of text whose words have not been seen.
func BenchmarkTextCold(b *testing.B) {
	c := newCounter(b)
	s := opticks(b)[20000:24096]
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		c.cache = newPieceCache()
		c.Text(s)
	}
}
