package promptcache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Entry is one cached prefix to register.
type Entry struct {
	// Key is the prefix's fingerprint (see Fingerprints).
	Key string
	// TTL is how long the entry lives without a hit: TTL5m or TTL1h.
	TTL time.Duration
}

// Bedrock's cache lifetimes (digest §11.2): 5 minutes by default, 1 hour
// where the model offers it and the cache point asks for it.
const (
	TTL5m = 5 * time.Minute
	TTL1h = time.Hour
)

// Registry remembers which prefixes are cached. Implementations are safe for
// concurrent use.
type Registry interface {
	// Lookup reports, for each key, whether it is registered and unexpired.
	// Every hit's lifetime restarts from now with the TTL it was stored
	// with, as Bedrock resets the TTL on every cache hit; a lookup and its
	// refresh are one operation (one round trip for Redis).
	Lookup(ctx context.Context, keys []string) ([]bool, error)
	// Store registers entries, or restarts their lifetime with the TTL
	// given if they already exist.
	Store(ctx context.Context, entries []Entry) error
}

// MemoryOptions configures NewMemory. The zero value means defaults.
type MemoryOptions struct {
	// MaxEntries bounds the registry; 0 means 100,000 (a few MB). When full,
	// an expired entry is dropped first, else the least recently used one.
	MaxEntries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// sweepPerCall bounds the expired entries one call removes beyond the ones
// it touches, so expired entries are reclaimed without a background
// goroutine and without a call ever scanning the whole registry.
const sweepPerCall = 8

// Memory is an in-process Registry for a single node.
type Memory struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element
	// byTTL holds one list per distinct TTL, least recently touched first.
	// Within one list that is also earliest expiry first, so each list's
	// front is its next entry to expire and sweeping stops at the first
	// live one.
	byTTL map[time.Duration]*list.List
}

type memEntry struct {
	key     string
	ttl     time.Duration
	touched time.Time
	expires time.Time
}

var _ Registry = (*Memory)(nil)

// NewMemory returns an empty in-memory registry.
func NewMemory(o MemoryOptions) *Memory {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Memory{
		max:     o.MaxEntries,
		now:     o.Now,
		entries: make(map[string]*list.Element),
		byTTL:   make(map[time.Duration]*list.List),
	}
}

// Lookup implements Registry.
func (m *Memory) Lookup(_ context.Context, keys []string) ([]bool, error) {
	now := m.now()
	out := make([]bool, len(keys))
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range keys {
		el, ok := m.entries[k]
		if !ok {
			continue
		}
		e := el.Value.(*memEntry)
		if !now.Before(e.expires) {
			m.remove(el)
			continue
		}
		out[i] = true
		m.touch(el, e.ttl, now)
	}
	m.sweep(now, sweepPerCall)
	return out, nil
}

// Store implements Registry.
func (m *Memory) Store(_ context.Context, entries []Entry) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, en := range entries {
		if en.TTL <= 0 {
			continue
		}
		if el, ok := m.entries[en.Key]; ok {
			m.touch(el, en.TTL, now)
			continue
		}
		if len(m.entries) >= m.max {
			m.evict(now)
		}
		e := &memEntry{key: en.Key, ttl: en.TTL, touched: now, expires: now.Add(en.TTL)}
		m.entries[en.Key] = m.list(en.TTL).PushBack(e)
	}
	m.sweep(now, sweepPerCall)
	return nil
}

// Len reports how many entries are held, expired ones not yet reclaimed
// included.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func (m *Memory) list(ttl time.Duration) *list.List {
	l, ok := m.byTTL[ttl]
	if !ok {
		l = list.New()
		m.byTTL[ttl] = l
	}
	return l
}

// touch restarts el's lifetime with ttl and moves it to the back of its
// TTL's list (to another list if the TTL changed).
func (m *Memory) touch(el *list.Element, ttl time.Duration, now time.Time) {
	e := el.Value.(*memEntry)
	if e.ttl != ttl {
		m.remove(el)
		e.ttl = ttl
		el = m.list(ttl).PushBack(e)
		m.entries[e.key] = el
	} else {
		m.byTTL[ttl].MoveToBack(el)
	}
	e.touched = now
	e.expires = now.Add(ttl)
}

func (m *Memory) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	l := m.byTTL[e.ttl]
	l.Remove(el)
	if l.Len() == 0 {
		delete(m.byTTL, e.ttl)
	}
	delete(m.entries, e.key)
}

// sweep removes up to n expired entries, cheapest first: the fronts of the
// TTL lists.
func (m *Memory) sweep(now time.Time, n int) {
	for _, l := range m.byTTL {
		for n > 0 {
			el := l.Front()
			if el == nil || now.Before(el.Value.(*memEntry).expires) {
				break
			}
			// remove may delete l from byTTL; ranging over a map while
			// deleting the current key is allowed.
			m.remove(el)
			n--
		}
	}
}

// evict makes room for one entry: an expired entry if there is one (each
// list's front is its earliest expiry), else the least recently touched.
func (m *Memory) evict(now time.Time) {
	var victim *list.Element
	for _, l := range m.byTTL {
		el := l.Front()
		e := el.Value.(*memEntry)
		if !now.Before(e.expires) {
			m.remove(el)
			return
		}
		if victim == nil || e.touched.Before(victim.Value.(*memEntry).touched) {
			victim = el
		}
	}
	if victim != nil {
		m.remove(victim)
	}
}
