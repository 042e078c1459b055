package chat

import (
	"testing"
	"time"
)

func TestBackoffBoundsAndJitter(t *testing.T) {
	r := Retry{MaxAttempts: 6, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for n, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 9: time.Second} {
		var hi time.Duration
		lo := ceiling
		for range 2000 {
			d := r.backoff(n)
			if d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %s, outside [0, %s]", n, d, ceiling)
			}
			hi, lo = max(hi, d), min(lo, d)
		}
		// Exponential growth with full jitter: draws spread over the range.
		if hi < ceiling*3/4 || lo > ceiling/4 {
			t.Errorf("backoff(%d) drew only within [%s, %s] of [0, %s]: no jitter", n, lo, hi, ceiling)
		}
	}
}
