package promptcache

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func lookup(t *testing.T, r Registry, keys ...string) []bool {
	t.Helper()
	got, err := r.Lookup(t.Context(), keys)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return got
}

func store(t *testing.T, r Registry, e ...Entry) {
	t.Helper()
	if err := r.Store(t.Context(), e); err != nil {
		t.Fatalf("Store: %v", err)
	}
}

// Under synctest the clock only moves when every goroutine of the bubble is
// blocked, so time.Sleep here advances fake time exactly and instantly.
func TestMemoryTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(MemoryOptions{})
		store(t, m, Entry{"a", TTL5m}, Entry{"b", TTL1h})
		if diff := cmp.Diff([]bool{true, true, false}, lookup(t, m, "a", "b", "c")); diff != "" {
			t.Errorf("fresh (-want +got):\n%s", diff)
		}
		// The hit at 0 restarted a's 5 minutes; 4 minutes later it is alive
		// and the hit restarts them again.
		time.Sleep(4 * time.Minute)
		if got := lookup(t, m, "a"); !got[0] {
			t.Fatal("a expired after 4 minutes")
		}
		// 8 minutes after it was stored, a lives on thanks to the refresh.
		time.Sleep(4 * time.Minute)
		if got := lookup(t, m, "a"); !got[0] {
			t.Fatal("a expired 4 minutes after a hit: the hit did not refresh it")
		}
		time.Sleep(5*time.Minute - time.Nanosecond)
		if got := lookup(t, m, "a"); !got[0] {
			t.Fatal("a expired just before its 5 minutes")
		}
		time.Sleep(5 * time.Minute)
		if diff := cmp.Diff([]bool{false, true}, lookup(t, m, "a", "b")); diff != "" {
			t.Errorf("5 minutes without a hit (-want +got):\n%s", diff)
		}
		// b's hour restarted at the last lookup.
		time.Sleep(time.Hour)
		if got := lookup(t, m, "b"); got[0] {
			t.Error("b alive an hour after its last hit")
		}
		if m.Len() != 0 {
			t.Errorf("Len = %d after everything expired and was looked up, want 0", m.Len())
		}
	})
}

// Store on an existing key restarts it with the new TTL.
func TestMemoryStoreRefreshes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(MemoryOptions{})
		store(t, m, Entry{"a", TTL5m})
		time.Sleep(4 * time.Minute)
		store(t, m, Entry{"a", TTL1h})
		time.Sleep(30 * time.Minute)
		if !lookup(t, m, "a")[0] {
			t.Error("a gone: re-storing with 1h did not extend it")
		}
	})
}

// Expired entries are reclaimed by later calls even if never looked up.
func TestMemorySweep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(MemoryOptions{})
		for i := range 20 {
			store(t, m, Entry{fmt.Sprint("old", i), TTL5m})
		}
		time.Sleep(TTL5m)
		for i := range 3 {
			store(t, m, Entry{fmt.Sprint("new", i), TTL5m})
		}
		if got, want := m.Len(), 3; got != want {
			t.Errorf("Len = %d, want %d (3 calls sweep up to %d expired entries each)", got, want, sweepPerCall)
		}
	})
}

func TestMemoryBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewMemory(MemoryOptions{MaxEntries: 3})
		store(t, m, Entry{"long1", TTL1h})
		time.Sleep(time.Minute)
		store(t, m, Entry{"short", TTL5m})
		time.Sleep(time.Minute)
		store(t, m, Entry{"long2", TTL1h})
		time.Sleep(time.Minute)
		// Full, nothing expired: the least recently used (long1) goes,
		// unless a hit made it recent.
		lookup(t, m, "long1")
		store(t, m, Entry{"x", TTL5m})
		if diff := cmp.Diff([]bool{true, false, true, true}, lookup(t, m, "long1", "short", "long2", "x")); diff != "" {
			t.Errorf("after evicting the least recently used (-want +got):\n%s", diff)
		}
		// Now x (5m) expires while the older 1h entries live: it goes first.
		time.Sleep(TTL5m)
		store(t, m, Entry{"y", TTL1h})
		if diff := cmp.Diff([]bool{true, true, true}, lookup(t, m, "long1", "long2", "y")); diff != "" {
			t.Errorf("after evicting the expired entry (-want +got):\n%s", diff)
		}
		if m.Len() > 3 {
			t.Errorf("Len = %d, above MaxEntries 3", m.Len())
		}
	})
}

// Run with -race: concurrent lookups and stores on overlapping keys.
func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(MemoryOptions{MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := fmt.Sprint((g*7 + i) % 80)
				if err := m.Store(t.Context(), []Entry{{k, TTL5m}}); err != nil {
					t.Error(err)
					return
				}
				if _, err := m.Lookup(t.Context(), []string{k, "x"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if m.Len() > 50 {
		t.Errorf("Len = %d, above MaxEntries 50", m.Len())
	}
}

// A whole seed scenario on virtual time: the second call within 5 minutes
// reads, one after 5 quiet minutes writes again.
func TestAccountTTLExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := call{counter: newCounter(t), reg: NewMemory(MemoryOptions{}), min: 1024}
		body := systemOnly(big("kb", 2000), "q")
		u, n := c.account(t, body)
		cp := n.Checkpoints[0].Tokens
		if u.CacheWriteInputTokens != cp {
			t.Fatalf("first call wrote %d, want %d", u.CacheWriteInputTokens, cp)
		}
		for i, wait := range []time.Duration{4 * time.Minute, 4 * time.Minute, 4*time.Minute + 59*time.Second} {
			time.Sleep(wait)
			if u, _ := c.account(t, body); u.CacheReadInputTokens != cp || u.CacheWriteInputTokens != 0 {
				t.Fatalf("call %d after %v: read %d write %d, want read %d", i+2, wait, u.CacheReadInputTokens, u.CacheWriteInputTokens, cp)
			}
		}
		time.Sleep(TTL5m)
		if u, _ := c.account(t, body); u.CacheReadInputTokens != 0 || u.CacheWriteInputTokens != cp {
			t.Errorf("after 5 idle minutes: read %d write %d, want a fresh write of %d", u.CacheReadInputTokens, u.CacheWriteInputTokens, cp)
		}
	})
}
