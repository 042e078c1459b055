package builtin

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/conversekit/converse/internal/provider"
)

// Converse answers after the time to first token, not after the time
// streaming the answer would take (a plain "Hello" used to take 2 s); the
// stream keeps its pace; PaceConverse restores the slow Converse. The
// clock is synctest's, so the durations are exact on any machine.
func TestPacing(t *testing.T) {
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	const ttft = 300 * time.Millisecond
	call := &provider.Call{Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Explain photosynthesis in 120 words"}]}]}`)}
	for _, tc := range []struct {
		name         string
		paceConverse bool
	}{{"default", false}, {"PaceConverse", true}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := New(Options{Tokens: tok, TimeToFirstToken: ttft, TokensPerSecond: 60, PaceConverse: tc.paceConverse})
				start := time.Now()
				out, err := m.Converse(t.Context(), call)
				if err != nil {
					t.Fatal(err)
				}
				converse := time.Since(start)
				generation := tokenDelay(out.Usage.OutputTokens, 60)
				want := ttft
				if tc.paceConverse {
					want += generation
				}
				if converse != want {
					t.Errorf("Converse took %v, want %v", converse, want)
				}
				if out.Metrics.LatencyMs != want.Milliseconds() {
					t.Errorf("latencyMs %d, want %d", out.Metrics.LatencyMs, want.Milliseconds())
				}

				start = time.Now()
				for _, err := range m.ConverseStream(t.Context(), call) {
					if err != nil {
						t.Fatal(err)
					}
				}
				// Pieces are paced one by one, so rounding may differ from
				// the whole answer's delay by a nanosecond per piece.
				if stream := time.Since(start); stream < ttft+generation-time.Millisecond || stream > ttft+generation+time.Millisecond {
					t.Errorf("stream took %v, want %v", stream, ttft+generation)
				}
			})
		})
	}
}
