package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/anthropic"
	"github.com/conversekit/converse/internal/provider/bedrock"
	"github.com/conversekit/converse/internal/provider/openai"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/telemetry/genai"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/propagation"
)

// httpClient is one backend's outbound client: bounded connections per
// host, and no overall timeout (streams last as long as the model talks;
// each provider bounds its own waits). With a propagator, requests carry
// the trace context. Every provider refuses redirects on whatever client
// it is given (upstream.Client).
func httpClient(maxConns int, prop propagation.TextMapPropagator) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if maxConns <= 0 {
		maxConns = 64
	}
	tr.MaxConnsPerHost = maxConns
	tr.MaxIdleConnsPerHost = maxConns
	tr.ResponseHeaderTimeout = 0
	return &http.Client{Transport: upstream.Traced(tr, prop)}
}

// backends builds every configured backend beside the built-in model;
// logger receives their operator-facing warnings.
func backends(ctx context.Context, cfg *config.Config, builtinModel provider.Provider, prop propagation.TextMapPropagator, logger *slog.Logger) (map[string]provider.Provider, error) {
	out := map[string]provider.Provider{"builtin": builtinModel}
	for _, b := range cfg.Backends {
		p, err := backend(ctx, b, prop, logger)
		if err != nil {
			return nil, fmt.Errorf("backend %s: %w", b.Name, err)
		}
		out[b.Name] = p
	}
	return out, nil
}

// defaultTimeout bounds a non-streaming backend call when the config sets
// no timeout. Stream timeouts default in the providers
// (upstream.DefaultFirstTokenTimeout, upstream.DefaultIdleTimeout).
const defaultTimeout = 5 * time.Minute

func backend(ctx context.Context, b config.Backend, prop propagation.TextMapPropagator, logger *slog.Logger) (provider.Provider, error) {
	timeout := cmp.Or(b.Timeout, defaultTimeout)
	switch b.Kind {
	case config.KindOpenAI:
		urls := b.Replicas
		if len(urls) == 0 {
			urls = []string{b.BaseURL}
		}
		replicas := map[string]provider.Provider{}
		var p provider.Provider
		for _, u := range urls {
			var err error
			p, err = openai.New(openai.Options{
				BaseURL: u, APIKey: string(b.APIKey), Name: b.Name, Timeout: timeout,
				FirstTokenTimeout: b.FirstTokenTimeout, IdleTimeout: b.IdleTimeout,
				HTTPClient: httpClient(b.MaxConnections, prop), Logger: logger,
			})
			if err != nil {
				return nil, err
			}
			replicas[u] = p
		}
		if len(replicas) == 1 {
			return p, nil
		}
		return router.NewPool(replicas, promptcache.NewBalancer(urls, promptcache.BalancerOptions{}))
	case config.KindAnthropic:
		return anthropic.New(anthropic.Options{
			BaseURL: b.BaseURL, APIKey: string(b.APIKey), Name: b.Name, Timeout: timeout,
			FirstTokenTimeout: b.FirstTokenTimeout, IdleTimeout: b.IdleTimeout,
			HTTPClient: httpClient(b.MaxConnections, prop), Logger: logger,
		})
	case config.KindBedrock:
		// Credentials come from the standard AWS chain (environment,
		// shared files and Profile, SSO, instance roles).
		return bedrock.New(ctx, bedrock.Options{
			Region: b.Region, Endpoint: b.BaseURL, Profile: b.Profile, Name: b.Name,
			Timeout: timeout, FirstTokenTimeout: b.FirstTokenTimeout, IdleTimeout: b.IdleTimeout,
			HTTPClient: httpClient(b.MaxConnections, prop), Logger: logger,
		})
	}
	return nil, fmt.Errorf("kind %q is not available in this build", b.Kind)
}

// providerNames gives each backend its OpenTelemetry gen_ai.provider.name
// for metrics and traces: the API it speaks, as the GenAI conventions name it.
func providerNames(cfg *config.Config) map[string]string {
	out := map[string]string{"builtin": genai.ProviderConverse, "replay": genai.ProviderConverse}
	for _, b := range cfg.Backends {
		switch b.Kind {
		case config.KindOpenAI:
			out[b.Name] = genai.ProviderOpenAI
		case config.KindAnthropic:
			out[b.Name] = genai.ProviderAnthropic
		case config.KindBedrock:
			out[b.Name] = genai.ProviderBedrock
		}
	}
	return out
}

// routing copies the config's routes into the router's options.
func routing(cfg *config.Config) ([]router.Route, map[string]string, string) {
	var routes []router.Route
	for _, r := range cfg.Routes {
		rt := router.Route{Pattern: r.Match, Target: router.Target{Backend: r.Backend, Model: r.Model}}
		for _, f := range r.Fallbacks {
			rt.Fallbacks = append(rt.Fallbacks, router.Target{Backend: f.Backend, Model: f.Model})
		}
		routes = append(routes, rt)
	}
	def := cfg.Default
	if def == "" {
		def = "builtin"
	}
	return routes, cfg.Aliases, def
}

// redisClient connects to the configured Redis, which replicas share; nil
// without one. Unreachable at start is an error: a replica that cannot see
// the shared state should not start serving.
func redisClient(ctx context.Context, r config.Redis) (*redis.Client, error) {
	if r.URL == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(string(r.URL))
	if err != nil {
		// The URL may hold a password: name the problem, not the value.
		return nil, errors.New("redis.url: not a redis:// or rediss:// URL")
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	return client, nil
}

// redisPrefix namespaces converse's keys.
func redisPrefix(r config.Redis) string {
	if r.Prefix == "" {
		return "converse:"
	}
	return r.Prefix
}

// cacheRegistry is the prompt-cache registry: in this process, or in Redis
// so that replicas share it.
func cacheRegistry(client *redis.Client, r config.Redis) promptcache.Registry {
	if client == nil {
		return promptcache.NewMemory(promptcache.MemoryOptions{})
	}
	return promptcache.NewRedis(client, redisPrefix(r)+"cache:")
}
