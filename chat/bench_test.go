package chat_test

import (
	"context"
	"testing"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

// BenchmarkCall measures one Call through the SDK and a loopback converse
// server with a scripted model: the library's and the transport's cost.
func BenchmarkCall(b *testing.B) {
	s := &script{answer: func(context.Context, int, *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("ok"), nil
	}}
	c := newClient(b, start(b, s))
	p := c.Prompt().System("Be brief.").User("hi")
	for b.Loop() {
		if _, err := p.Call(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToolRound measures a call with one tool round (two model calls).
func BenchmarkToolRound(b *testing.B) {
	s := &script{answer: func(_ context.Context, n int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		if n%2 == 1 {
			return toolAnswer(toolUse{"t1", "weather", map[string]any{"location": "Oslo"}}), nil
		}
		return textAnswer("3C"), nil
	}}
	weather := chat.NewTool("weather", "Weather", func(_ context.Context, in weatherIn) (weatherOut, error) { return weatherOut{Temp: 3, Unit: "C"}, nil })
	c := newClient(b, start(b, s), chat.WithTools(weather))
	p := c.Prompt("weather in Oslo?")
	for b.Loop() {
		if _, err := p.Call(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
