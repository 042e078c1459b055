package tokens

import (
	"hash/maphash"
	"strings"
	"sync"
)

// Piece cache bounds. Words repeat (a few thousand cover most of any text),
// so a small cache of piece → token count saves nearly every call into the
// codec, whose matcher allocates on each call. Long pieces are rare and
// would crowd the cache, so they are not kept.
const (
	cacheShards      = 16
	cacheShardPieces = 4096 // 64k pieces in all
	maxCachedPiece   = 32   // bytes
)

// pieceCache maps a pre-split piece to its token count. It is bounded by
// emptying a shard that is full, which is cheaper than LRU bookkeeping on
// every hit and, with Zipf-distributed words, refills with the frequent ones
// at once.
type pieceCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu     sync.RWMutex
	counts map[string]int32
}

func newPieceCache() *pieceCache {
	c := &pieceCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].counts = make(map[string]int32)
	}
	return c
}

func (c *pieceCache) shard(piece string) *cacheShard {
	return &c.shards[maphash.String(c.seed, piece)%cacheShards]
}

func (c *pieceCache) get(piece string) (int, bool) {
	s := c.shard(piece)
	s.mu.RLock()
	n, ok := s.counts[piece]
	s.mu.RUnlock()
	return int(n), ok
}

func (c *pieceCache) put(piece string, n int) {
	s := c.shard(piece)
	// Clone: piece points into the caller's text, which the cache must not
	// keep alive.
	piece = strings.Clone(piece)
	s.mu.Lock()
	if len(s.counts) >= cacheShardPieces {
		clear(s.counts)
	}
	s.counts[piece] = int32(n)
	s.mu.Unlock()
}
