package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps counters in Redis, so that every replica using the same
// Redis and prefix enforces one quota together. A bucket is three keys
// sharing a hash tag, {rule and principal}, so that on Redis Cluster they
// live in one slot and one script can decide over all three:
//
//	<prefix>{<bucket>}:r  requests TAT (µs), expiring when the bucket is full again
//	<prefix>{<bucket>}:t  tokens TAT (µs), likewise
//	<prefix>{<bucket>}:c  sorted set of in-flight leases scored by their expiry
//
// Leases expire (Lease) so that slots held by a replica that died come back.
// Time is the replica's clock, sent with each call: replicas need
// synchronised clocks (NTP), and a skew of s shifts their view by s.
type Redis struct {
	client redis.UniversalClient
	prefix string
	window int64 // µs
	lease  int64 // µs
	now    func() time.Time
}

var _ Store = (*Redis)(nil)

// RedisOptions configure a Redis store.
type RedisOptions struct {
	// Prefix namespaces the keys (for example "converse:quota:").
	Prefix string
	// Window is what "per minute" means (default one minute).
	Window time.Duration
	// Lease is how long a concurrency slot outlives a replica that died
	// holding it (default 10 minutes); it should exceed the longest call.
	Lease time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewRedis returns a store on client.
func NewRedis(client redis.UniversalClient, o RedisOptions) *Redis {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Redis{client: client, prefix: o.Prefix, window: o.Window.Microseconds(), lease: o.Lease.Microseconds(), now: o.Now}
}

// admitScript is one admission, the same arithmetic as Memory.Admit: GCRA
// over requests and tokens, and a lease count for concurrency; all or
// nothing. Numbers are Lua doubles, exact for the integers involved (µs
// since the epoch and n·window stay below 2^53).
//
// KEYS: requests, tokens, leases. ARGV: now, window, rpm, tpm, concurrent,
// tokens, lease, lease lifetime. Returns {allowed, dimension, wait µs,
// in flight}.
var admitScript = redis.NewScript(`
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local rpm, tpm, conc = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local n, lease, life = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])

local function emission(units, limit)
  local a = units * window
  local q = math.floor(a / limit)
  if q * limit > a then q = q - 1 end
  if q * limit < a then q = q + 1 end
  return q
end
local function gcra(key, limit, units)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nxt = tat + emission(units, limit)
  return nxt, nxt - now - window
end

local denied, wait, inflight = '', 0, 0
local function deny(dim, w)
  if denied == '' or w > wait then denied, wait = dim, w end
end
local rtat, ttat
if rpm > 0 then
  local w
  rtat, w = gcra(KEYS[1], rpm, 1)
  if w > 0 then deny('r', w) end
end
if tpm > 0 and n > 0 then
  local w
  ttat, w = gcra(KEYS[2], tpm, n)
  if w > 0 then deny('t', w) end
end
if conc > 0 and lease ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  inflight = redis.call('ZCARD', KEYS[3])
  if inflight >= conc then deny('c', tonumber(ARGV[9])) end
end
if denied ~= '' then
  return {0, denied, tostring(wait), inflight}
end
if rtat then
  redis.call('SET', KEYS[1], string.format('%d', rtat), 'PX', math.ceil((rtat - now) / 1000) + 1)
end
if ttat then
  redis.call('SET', KEYS[2], string.format('%d', ttat), 'PX', math.ceil((ttat - now) / 1000) + 1)
end
if conc > 0 and lease ~= '' then
  redis.call('ZADD', KEYS[3], now + life, lease)
  redis.call('PEXPIRE', KEYS[3], math.ceil(life / 1000) + 1)
end
return {1, '', '0', 0}
`)

// settleScript refunds or charges tokens (ARGV tokens may be negative) and
// frees a lease. KEYS: tokens, leases. ARGV: now, window, tpm, tokens, lease.
var settleScript = redis.NewScript(`
local now, window, tpm, n, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
if lease ~= '' then redis.call('ZREM', KEYS[2], lease) end
if tpm > 0 and n ~= 0 then
  local m = math.abs(n)
  local a = m * window
  local q = math.floor(a / tpm)
  if q * tpm > a then q = q - 1 end
  if q * tpm < a then q = q + 1 end
  if n < 0 then q = -q end
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if tat < now then tat = now end
  tat = tat + q
  if tat <= now then
    redis.call('DEL', KEYS[1])
  else
    redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
end
return 1
`)

// keyEscaper keeps braces out of the hash tag: a '}' in a principal's name
// would end the tag early (harmless, the three keys still share it, but
// two buckets could then share a slot name); the escape is injective.
var keyEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D", "\x00", "%00")

func (r *Redis) keys(b Bucket) []string {
	base := r.prefix + "{" + keyEscaper.Replace(b.Key) + "}:"
	return []string{base + "r", base + "t", base + "c"}
}

// Admit implements Store: one EVALSHA (EVAL when the server lost the
// script, which also reloads it).
func (r *Redis) Admit(ctx context.Context, b Bucket, tokens int64, lease string) (Decision, error) {
	now := r.now().UnixMicro()
	res, err := admitScript.Run(ctx, r.client, r.keys(b),
		now, r.window, b.Limits.RequestsPerMinute, b.Limits.TokensPerMinute, b.Limits.Concurrent,
		tokens, lease, r.lease, concurrencyRetry.Microseconds()).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("quota admission: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("quota admission: script returned %d values", len(res))
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return Decision{Allowed: true}, nil
	}
	dim, _ := res[1].(string)
	waitStr, _ := res[2].(string)
	wait, err := strconv.ParseFloat(waitStr, 64)
	if err != nil {
		return Decision{}, fmt.Errorf("quota admission: wait %q: %w", waitStr, err)
	}
	inFlight, _ := res[3].(int64)
	d := Decision{RetryAfter: time.Duration(wait) * time.Microsecond, InFlight: inFlight}
	switch dim {
	case "r":
		d.Denied = Requests
	case "t":
		d.Denied = Tokens
	case "c":
		d.Denied = Concurrent
	default:
		return Decision{}, fmt.Errorf("quota admission: unknown dimension %q", dim)
	}
	return d, nil
}

// Settle implements Store.
func (r *Redis) Settle(ctx context.Context, b Bucket, tokenDelta int64, lease string) error {
	k := r.keys(b)
	err := settleScript.Run(ctx, r.client, []string{k[1], k[2]},
		r.now().UnixMicro(), r.window, b.Limits.TokensPerMinute, tokenDelta, lease).Err()
	if err != nil {
		return fmt.Errorf("quota settlement: %w", err)
	}
	return nil
}
