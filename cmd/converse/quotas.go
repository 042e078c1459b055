package main

import (
	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/ratelimit"
)

// quotaOptions copies the config's quotas into the router's options: kept
// in Redis when one is configured, so that replicas enforce them together,
// else in this process.
func quotaOptions(cfg *config.Config, rdb *redis.Client) ratelimit.Options {
	q := cfg.Quotas
	o := ratelimit.Options{OnStoreError: ratelimit.FailurePolicy(q.OnRedisError)}
	for _, r := range q.Rules {
		o.Rules = append(o.Rules, ratelimit.Rule{
			Name: r.Name, Principal: r.Principal, Model: r.Model, Shared: r.Shared,
			RequestsPerMinute: r.RequestsPerMinute, TokensPerMinute: r.TokensPerMinute, Concurrent: r.Concurrent,
		})
	}
	if rdb != nil && len(o.Rules) > 0 {
		o.Store = ratelimit.NewRedis(rdb, ratelimit.RedisOptions{Prefix: redisPrefix(cfg.Redis) + "quota:", Lease: q.Lease})
	}
	return o
}
