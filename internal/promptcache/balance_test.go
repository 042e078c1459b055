package promptcache

import (
	"fmt"
	"sync"
	"testing"
)

var pool = []string{"vllm-0", "vllm-1", "vllm-2"}

func home(t *testing.T, b *Balancer, key string) string {
	t.Helper()
	r, release := b.Acquire(key)
	release()
	return r
}

// Sequential traffic: every request of a prefix lands on the same replica,
// and the prefixes spread over the pool.
func TestBalancerSticky(t *testing.T) {
	const n, k = 300, 12
	b := NewBalancer(pool, BalancerOptions{Bound: 1.25})
	keys := make([]string, k)
	for i := range keys {
		keys[i] = RouteKey(model, decode(t, systemOnly(fmt.Sprint("tenant ", i, " instructions"), "q")))
	}
	where := map[string]map[string]int{} // key → replica → requests
	for i := range n {
		key := keys[i%k]
		r, release := b.Acquire(key)
		if where[key] == nil {
			where[key] = map[string]int{}
		}
		where[key][r]++
		release()
	}
	used := map[string]bool{}
	for i, key := range keys {
		if len(where[key]) != 1 {
			t.Errorf("prefix %d went to %d replicas: %v", i, len(where[key]), where[key])
		}
		for r := range where[key] {
			used[r] = true
		}
	}
	if len(used) < 2 {
		t.Errorf("%d prefixes all on %v: not spread", k, used)
	}
	for r, l := range b.Loads() {
		if l != 0 {
			t.Errorf("%s has %d in flight after every release", r, l)
		}
	}
}

// Concurrent traffic: with a window of requests in flight, no replica ever
// holds more than ceil(c·m/n), and a request leaves its prefix's home
// replica only when home is full.
func TestBalancerBoundedLoad(t *testing.T) {
	const n, k, window = 600, 10, 30
	for _, bound := range []float64{1.1, 1.25, 2} {
		t.Run(fmt.Sprint(bound), func(t *testing.T) {
			b := NewBalancer(pool, BalancerOptions{Bound: bound})
			homes := make([]string, k)
			for i := range homes {
				homes[i] = home(t, b, fmt.Sprint("prefix-", i))
			}
			var inFlight []func()
			moved := 0
			for i := range n {
				key := fmt.Sprint("prefix-", i%k)
				before := b.Loads()
				total := 0
				for _, l := range before {
					total += l
				}
				r, release := b.Acquire(key)
				inFlight = append(inFlight, release)
				limit := b.Capacity(total + 1)
				if r != homes[i%k] {
					moved++
					if before[homes[i%k]] < limit {
						t.Fatalf("request %d left home %s with load %d below the capacity %d", i, homes[i%k], before[homes[i%k]], limit)
					}
				}
				for name, l := range b.Loads() {
					if l > limit {
						t.Fatalf("request %d: %s holds %d, capacity %d", i, name, l, limit)
					}
				}
				if len(inFlight) == window {
					inFlight[0]()
					inFlight = inFlight[1:]
				}
			}
			t.Logf("bound %.2f: %d of %d requests served away from home", bound, moved, n)
		})
	}
}

// One hot prefix: its home fills to capacity and the overflow spills to the
// next replicas, none above capacity.
func TestBalancerHotKey(t *testing.T) {
	const hold = 30
	b := NewBalancer(pool, BalancerOptions{Bound: 1.25})
	h := home(t, b, "hot")
	var releases []func()
	for range hold {
		_, release := b.Acquire("hot")
		releases = append(releases, release)
	}
	limit := b.Capacity(hold)
	loads := b.Loads()
	if loads[h] != limit {
		t.Errorf("home %s holds %d, want it filled to the capacity %d", h, loads[h], limit)
	}
	total := 0
	for r, l := range loads {
		total += l
		if l > limit {
			t.Errorf("%s holds %d, capacity %d", r, l, limit)
		}
	}
	if total != hold {
		t.Errorf("%d in flight, want %d", total, hold)
	}
	for _, r := range releases {
		r()
		r() // idempotent
	}
	for r, l := range b.Loads() {
		if l != 0 {
			t.Errorf("%s holds %d after release", r, l)
		}
	}
	// Once the burst is over the key is home again.
	if got := home(t, b, "hot"); got != h {
		t.Errorf("after the burst: %s, want home %s", got, h)
	}
}

// Every converse replica computes the same placement, and removing a
// replica moves only the keys that were on it (consistent hashing).
func TestBalancerConsistent(t *testing.T) {
	b1 := NewBalancer(pool, BalancerOptions{})
	b2 := NewBalancer(pool, BalancerOptions{})
	smaller := NewBalancer(pool[:2], BalancerOptions{})
	moved := 0
	for i := range 200 {
		key := fmt.Sprint("k", i)
		h1, h2 := home(t, b1, key), home(t, b2, key)
		if h1 != h2 {
			t.Fatalf("key %s: %s on one balancer, %s on another", key, h1, h2)
		}
		hs := home(t, smaller, key)
		if h1 != pool[2] && hs != h1 {
			t.Errorf("key %s moved from %s to %s when %s left", key, h1, hs, pool[2])
		}
		if h1 == pool[2] {
			moved++
		}
	}
	if moved == 0 || moved == 200 {
		t.Errorf("%d of 200 keys on %s: ring not spread", moved, pool[2])
	}
}

func TestBalancerNoKeyAndEmpty(t *testing.T) {
	b := NewBalancer(pool, BalancerOptions{})
	got := map[string]int{}
	var rel []func()
	for range 6 {
		r, release := b.Acquire("")
		got[r]++
		rel = append(rel, release)
	}
	for _, p := range pool {
		if got[p] != 2 {
			t.Errorf("least-loaded: %s took %d of 6, want 2", p, got[p])
		}
	}
	for _, r := range rel {
		r()
	}
	if r, release := NewBalancer(nil, BalancerOptions{}).Acquire("x"); r != "" {
		t.Errorf("empty pool gave %q", r)
	} else {
		release()
	}
}

// Run with -race.
func TestBalancerConcurrent(t *testing.T) {
	b := NewBalancer(pool, BalancerOptions{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				_, release := b.Acquire(fmt.Sprint("k", (g+i)%5))
				release()
			}
		})
	}
	wg.Wait()
	for r, l := range b.Loads() {
		if l != 0 {
			t.Errorf("%s holds %d after every release", r, l)
		}
	}
}
