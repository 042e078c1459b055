package promptcache

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"sync"
)

// BalancerOptions configures NewBalancer. The zero value means defaults.
type BalancerOptions struct {
	// Bound is the load factor c ≥ 1: no replica takes more than
	// ceil(c · (in-flight requests + 1) / replicas) requests at once.
	// 0 means 1.25. Lower keeps load flatter, higher keeps more prefixes on
	// their home replica.
	Bound float64
	// VirtualNodes is the number of ring points per replica; 0 means 100.
	VirtualNodes int
}

// Balancer spreads requests over a pool of replicas (vLLM, llama.cpp, …) so
// that requests sharing a cached prefix land on the same replica and hit its
// prefix cache, while no replica is overloaded. It implements consistent
// hashing with bounded loads (V. Mirrokni, M. Thorup, M. Zadimoghaddam,
// "Consistent Hashing with Bounded Loads", SODA 2018, arXiv:1608.01350): a
// key goes to the first replica clockwise from its hash on the ring whose
// load is below the capacity ceil(c·m/n), m counting the request being
// placed; a full replica passes the request on to the next one. Load is the
// number of requests in flight. Safe for concurrent use.
type Balancer struct {
	bound    float64
	replicas []string
	ring     []ringPoint // sorted by hash

	mu    sync.Mutex
	load  []int // per replica, in flight
	total int
}

type ringPoint struct {
	hash    uint64
	replica int
}

// NewBalancer builds a balancer over the named replicas (names must be
// distinct and stable: they place the replicas on the ring, so every
// converse replica computes the same placement).
func NewBalancer(replicas []string, o BalancerOptions) *Balancer {
	if o.Bound < 1 {
		o.Bound = 1.25
	}
	if o.VirtualNodes <= 0 {
		o.VirtualNodes = 100
	}
	b := &Balancer{bound: o.Bound, replicas: slices.Clone(replicas), load: make([]int, len(replicas))}
	for i, name := range replicas {
		for v := range o.VirtualNodes {
			b.ring = append(b.ring, ringPoint{hash: hash64(name + "#" + strconv.Itoa(v)), replica: i})
		}
	}
	slices.SortFunc(b.ring, func(x, y ringPoint) int {
		switch {
		case x.hash < y.hash:
			return -1
		case x.hash > y.hash:
			return 1
		}
		return x.replica - y.replica
	})
	return b
}

func hash64(s string) uint64 {
	h := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(h[:8])
}

// Acquire picks the replica for a request routed by key (RouteKey, or the
// request's first fingerprint) and counts it as in flight until release is
// called; release is idempotent. An empty key goes to the least-loaded
// replica. With no replicas it returns "" and a no-op release.
func (b *Balancer) Acquire(key string) (replica string, release func()) {
	if len(b.replicas) == 0 {
		return "", func() {}
	}
	b.mu.Lock()
	i := b.pick(key)
	b.load[i]++
	b.total++
	b.mu.Unlock()
	var once sync.Once
	return b.replicas[i], func() {
		once.Do(func() {
			b.mu.Lock()
			b.load[i]--
			b.total--
			b.mu.Unlock()
		})
	}
}

// Loads returns the in-flight count of each replica, by name.
func (b *Balancer) Loads() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.replicas))
	for i, n := range b.replicas {
		out[n] = b.load[i]
	}
	return out
}

// Capacity is the most requests one replica may hold when inFlight requests
// (the new one included) are spread over the pool: ceil(c·m/n).
func (b *Balancer) Capacity(inFlight int) int {
	return int(math.Ceil(b.bound * float64(inFlight) / float64(len(b.replicas))))
}

func (b *Balancer) pick(key string) int {
	if key == "" {
		best := 0
		for i, l := range b.load {
			if l < b.load[best] {
				best = i
			}
		}
		return best
	}
	limit := b.Capacity(b.total + 1)
	h := hash64(key)
	start, _ := slices.BinarySearchFunc(b.ring, h, func(p ringPoint, h uint64) int {
		switch {
		case p.hash < h:
			return -1
		case p.hash > h:
			return 1
		}
		return 0
	})
	for j := range len(b.ring) {
		p := b.ring[(start+j)%len(b.ring)]
		if b.load[p.replica] < limit {
			return p.replica
		}
	}
	// Unreachable: capacity · n ≥ m means some replica is below it.
	return b.ring[start%len(b.ring)].replica
}
