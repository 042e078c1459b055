package builtin

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/conversekit/converse/internal/provider"
)

// A paced stream claims the flusher and flushes before every pause: no
// event is held while the model waits, so coalescing never delays one.
// Unpaced, it never waits, and everything leaves in one write.
func TestStreamFlushesBeforeEveryPause(t *testing.T) {
	for _, tc := range []struct {
		name string
		tps  float64
	}{{"paced", 20}, {"unpaced", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tok, err := sharedTokens()
				if err != nil {
					t.Fatal(err)
				}
				m := New(Options{Tokens: tok, TimeToFirstToken: 300 * time.Millisecond, TokensPerSecond: tc.tps})
				yielded, flushed := 0, 0
				heldAt := time.Time{} // when the oldest unflushed event was yielded
				ctx, fl := provider.WithFlusher(t.Context(), func() { flushed, heldAt = yielded, time.Time{} })
				for ev, err := range m.ConverseStream(ctx, &provider.Call{Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Tell me a story about a lighthouse keeper"}]}]}`)}) {
					if err != nil {
						t.Fatal(err)
					}
					_ = ev
					if !heldAt.IsZero() && time.Since(heldAt) > 0 {
						t.Fatalf("event %d was held unflushed for %v while the model paused", flushed+1, time.Since(heldAt))
					}
					if heldAt.IsZero() {
						heldAt = time.Now()
					}
					yielded++
				}
				if !fl.Claimed() {
					t.Error("the stream did not claim the flusher")
				}
				if tc.tps == 0 && flushed != 0 {
					t.Errorf("unpaced stream flushed after %d events; nothing waits, so the server's final flush should carry all %d", flushed, yielded)
				}
				if tc.tps > 0 && flushed == 0 {
					t.Errorf("paced stream of %d events never flushed", yielded)
				}
			})
		})
	}
}
