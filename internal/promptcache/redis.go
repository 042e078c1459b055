package promptcache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Registry shared by every replica using the same Redis and key
// prefix. An entry is the key `prefix + fingerprint` holding its TTL in
// milliseconds and expiring after it (SET … PX), so Redis does the expiry
// and memory bounds follow the server's maxmemory policy.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

var _ Registry = (*Redis)(nil)

// lookupScript reads one entry and, on a hit, restarts its lifetime with the
// TTL stored in it: the lookup and the refresh in one step. It takes one key
// so that a pipeline of calls works on Redis Cluster too (each call routed
// to its key's slot) while a single node answers the whole pipeline in one
// round trip.
var lookupScript = redis.NewScript(`
local ttl = redis.call('GET', KEYS[1])
if not ttl then return 0 end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`)

// NewRedis returns a registry on client; keys are namespaced by prefix
// (for example "converse:promptcache:").
func NewRedis(client redis.UniversalClient, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Lookup implements Registry in one round trip: a pipeline of EVALSHA calls
// of lookupScript, loading the script once if the server does not know it.
func (r *Redis) Lookup(ctx context.Context, keys []string) ([]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out, err := r.lookup(ctx, keys)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err := lookupScript.Load(ctx, r.client).Err(); err != nil {
			return nil, fmt.Errorf("prompt cache lookup: load script: %w", err)
		}
		out, err = r.lookup(ctx, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("prompt cache lookup: %w", err)
	}
	return out, nil
}

func (r *Redis) lookup(ctx context.Context, keys []string) ([]bool, error) {
	pipe := r.client.Pipeline()
	cmds := make([]*redis.Cmd, len(keys))
	for i, k := range keys {
		cmds[i] = lookupScript.EvalSha(ctx, pipe, []string{r.prefix + k})
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	out := make([]bool, len(keys))
	for i, c := range cmds {
		n, err := c.Int()
		if err != nil {
			return nil, err
		}
		out[i] = n == 1
	}
	return out, nil
}

// Store implements Registry: one pipelined SET key ttl PX ttl per entry.
func (r *Redis) Store(ctx context.Context, entries []Entry) error {
	pipe := r.client.Pipeline()
	n := 0
	for _, e := range entries {
		ms := e.TTL.Milliseconds()
		if ms <= 0 {
			continue
		}
		pipe.Set(ctx, r.prefix+e.Key, strconv.FormatInt(ms, 10), time.Duration(ms)*time.Millisecond)
		n++
	}
	if n == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("prompt cache store: %w", err)
	}
	return nil
}
