package ratelimit

import (
	"context"
	"sync"
	"time"
)

// concurrencyRetry is the retry-after hint when every concurrency slot is
// taken: no clock frees a slot, a finishing call does.
const concurrencyRetry = time.Second

// emission is the time n units take to drip in at limit per window, in the
// window's unit, rounded up so that rounding never grants more than the
// limit. Negative n (a refund) is rounded the same way in magnitude. The
// Redis script computes exactly the same.
func emission(n, limit, window int64) int64 {
	if n < 0 {
		return -emission(-n, limit, window)
	}
	return (n*window + limit - 1) / limit
}

// gcra is one admission of n units against a theoretical arrival time: the
// new TAT, or how long until n units would fit.
func gcra(tat, now, window, limit, n int64) (next, wait int64) {
	tat = max(tat, now)
	next = tat + emission(n, limit, window)
	if over := next - now - window; over > 0 {
		return tat, over
	}
	return next, 0
}

// MemoryOptions configure a Memory store; the zero value is a one-minute
// window on the wall clock.
type MemoryOptions struct {
	// Window is what "per minute" means (default one minute; tests shorten it).
	Window time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Memory keeps counters in this process: one node's quotas.
type Memory struct {
	mu      sync.Mutex
	window  int64 // µs
	now     func() time.Time
	buckets map[string]*counters
	sweepAt int
}

// counters are one bucket's state: TATs in µs since the epoch.
type counters struct {
	requests, tokens int64
	inFlight         int64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-process store.
func NewMemory(o MemoryOptions) *Memory {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Memory{window: o.Window.Microseconds(), now: o.Now, buckets: map[string]*counters{}, sweepAt: 1024}
}

// Admit implements Store.
func (m *Memory) Admit(_ context.Context, b Bucket, tokens int64, lease string) (Decision, error) {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.buckets[b.Key]
	if c == nil {
		if len(m.buckets) >= m.sweepAt {
			m.sweep(now)
		}
		c = &counters{}
		m.buckets[b.Key] = c
	}
	var d Decision
	deny := func(dim Dimension, wait time.Duration) {
		if d.Denied == "" || wait > d.RetryAfter {
			d.Denied, d.RetryAfter = dim, wait
		}
	}
	reqTAT, tokTAT := c.requests, c.tokens
	if l := b.Limits.RequestsPerMinute; l > 0 {
		var wait int64
		if reqTAT, wait = gcra(c.requests, now, m.window, l, 1); wait > 0 {
			deny(Requests, time.Duration(wait)*time.Microsecond)
		}
	}
	if l := b.Limits.TokensPerMinute; l > 0 && tokens > 0 {
		var wait int64
		if tokTAT, wait = gcra(c.tokens, now, m.window, l, tokens); wait > 0 {
			deny(Tokens, time.Duration(wait)*time.Microsecond)
		}
	}
	if l := b.Limits.Concurrent; l > 0 && lease != "" && c.inFlight >= l {
		deny(Concurrent, concurrencyRetry)
		d.InFlight = c.inFlight
	}
	if d.Denied != "" {
		return d, nil
	}
	c.requests, c.tokens = reqTAT, tokTAT
	if b.Limits.Concurrent > 0 && lease != "" {
		c.inFlight++
	}
	return Decision{Allowed: true}, nil
}

// Settle implements Store.
func (m *Memory) Settle(_ context.Context, b Bucket, tokenDelta int64, lease string) error {
	now := m.now().UnixMicro()
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.buckets[b.Key]
	if c == nil {
		return nil
	}
	if l := b.Limits.TokensPerMinute; l > 0 && tokenDelta != 0 {
		c.tokens = max(c.tokens, now) + emission(tokenDelta, l, m.window)
	}
	if lease != "" && c.inFlight > 0 {
		c.inFlight--
	}
	return nil
}

// sweep drops idle buckets (full allowances, nothing in flight), so memory
// follows the active principals, and sets the size of the next sweep.
func (m *Memory) sweep(now int64) {
	for k, c := range m.buckets {
		if c.requests <= now && c.tokens <= now && c.inFlight == 0 {
			delete(m.buckets, k)
		}
	}
	m.sweepAt = max(1024, 2*len(m.buckets))
}
