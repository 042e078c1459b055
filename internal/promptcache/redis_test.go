package promptcache

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/redistest"
)

func newRedis(t *testing.T, addr, prefix string) (*Redis, *redis.Client) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return NewRedis(c, prefix), c
}

func TestRedis(t *testing.T) {
	addr := redistest.Start(t)
	ctx := t.Context()
	r, c := newRedis(t, addr, "pc:")

	if got := lookup(t, r, "a", "b"); !cmp.Equal([]bool{false, false}, got) {
		t.Errorf("empty registry: %v", got)
	}
	store(t, r, Entry{"a", 10 * time.Second}, Entry{"b", time.Hour})
	if diff := cmp.Diff([]bool{true, false, true}, lookup(t, r, "a", "c", "b")); diff != "" {
		t.Errorf("after store (-want +got):\n%s", diff)
	}

	// Namespaced by prefix, value is the TTL in milliseconds.
	if v, err := c.Get(ctx, "pc:a").Result(); err != nil || v != "10000" {
		t.Errorf("GET pc:a = %q, %v; want \"10000\"", v, err)
	}

	// A hit restarts the entry's lifetime with its own TTL: age it by hand,
	// look it up, and its remaining time is back near the full 10 s.
	if err := c.PExpire(ctx, "pc:a", time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	lookup(t, r, "a")
	if ttl := c.PTTL(ctx, "pc:a").Val(); ttl < 5*time.Second {
		t.Errorf("PTTL after a hit = %v, want the 10 s restarted", ttl)
	}
	// A miss creates nothing.
	if n := c.Exists(ctx, "pc:c").Val(); n != 0 {
		t.Errorf("lookup of a missing key created it")
	}

	// Real expiry with a short TTL. The only sleep in the package: Redis
	// keeps its own clock.
	store(t, r, Entry{"short", 300 * time.Millisecond})
	if !lookup(t, r, "short")[0] {
		t.Fatal("short-lived entry missing right after store")
	}
	time.Sleep(600 * time.Millisecond)
	if lookup(t, r, "short")[0] {
		t.Error("entry alive 600 ms after its last hit with a 300 ms TTL")
	}

	// The script cache can be flushed (a Redis restart, failover): Lookup
	// loads the script again.
	if err := c.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if !lookup(t, r, "b")[0] {
		t.Error("b missing after SCRIPT FLUSH")
	}
}

// Two replicas on one Redis share entries; another prefix is another
// registry.
func TestRedisShared(t *testing.T) {
	addr := redistest.Start(t)
	a, _ := newRedis(t, addr, "converse:pc:")
	b, _ := newRedis(t, addr, "converse:pc:")
	other, _ := newRedis(t, addr, "staging:pc:")

	cA := call{counter: newCounter(t), reg: a, min: 1024}
	cB := cA
	cB.reg = b
	body := systemOnly(big("shared", 2000), "q")
	u1, n := cA.account(t, body)
	cp := n.Checkpoints[0].Tokens
	if u1.CacheWriteInputTokens != cp {
		t.Fatalf("replica A first call wrote %d, want %d", u1.CacheWriteInputTokens, cp)
	}
	u2, _ := cB.account(t, body)
	if u2.CacheReadInputTokens != cp || u2.CacheWriteInputTokens != 0 {
		t.Errorf("replica B: read %d write %d, want read %d written by A", u2.CacheReadInputTokens, u2.CacheWriteInputTokens, cp)
	}
	if lookup(t, other, Fingerprints(model, decode(t, body))...)[0] {
		t.Error("a registry with another prefix sees the entry")
	}
}

func TestRedisErrors(t *testing.T) {
	addr := redistest.Start(t)
	r, c := newRedis(t, addr, "pc:")
	c.Close()
	if _, err := r.Lookup(t.Context(), []string{"a"}); err == nil {
		t.Error("Lookup on a closed client: no error")
	}
	if err := r.Store(t.Context(), []Entry{{"a", time.Minute}}); err == nil {
		t.Error("Store on a closed client: no error")
	}
}
