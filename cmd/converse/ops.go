package main

import (
	"context"
	"io"
	"log/slog"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/metrics"
)

// readiness lists what /readyz checks: the shared Redis when there is one.
// (The configuration is loaded before anything listens, so a process that
// answers at all has loaded it.)
func readiness(client *redis.Client) []health.Check {
	if client == nil {
		return nil
	}
	return []health.Check{{Name: "redis", Func: func(ctx context.Context) error { return client.Ping(ctx).Err() }}}
}

// invocationLog builds the invocation log the config asks for: nil when it
// has no output and nothing else reads it. recent, when not nil, receives
// every record too (the playground's request log); without an output it is
// the only reader. The records it drops are counted in met. The returned
// func flushes and closes it.
func invocationLog(cfg *config.Config, stdout io.Writer, logger *slog.Logger, recent io.Writer, met *metrics.Metrics) (*invocationlog.Log, func(), error) {
	c := cfg.InvocationLog
	if c.Output == "" {
		if recent == nil {
			return nil, func() {}, nil
		}
		// Records only for the page: no bodies, which it never shows.
		l, err := invocationlog.New(invocationlog.Options{Writer: recent, Secrets: secrets(cfg), Logger: logger})
		if err != nil {
			return nil, nil, err
		}
		met.CountInvocationLogDrops(l.Dropped)
		return l, func() { l.Close() }, nil
	}
	w, closeFile := stdout, func() error { return nil }
	if c.Output != "stdout" {
		f, err := invocationlog.OpenFile(invocationlog.FileOptions{
			Path: c.Output, MaxBytes: int64(c.MaxSizeMB) << 20, MaxBackups: c.MaxBackups,
		})
		if err != nil {
			return nil, nil, err
		}
		w, closeFile = f, f.Close
	}
	if recent != nil {
		// The page first: it never fails, so a failing disk cannot starve it.
		w = io.MultiWriter(recent, w)
	}
	l, err := invocationlog.New(invocationlog.Options{
		Writer: w, Bodies: c.Bodies, KeepMedia: c.KeepMedia, MaxBodyBytes: c.MaxBodyBytes,
		Buffer: c.Buffer, Secrets: secrets(cfg), Logger: logger,
	})
	if err != nil {
		closeFile()
		return nil, nil, err
	}
	met.CountInvocationLogDrops(l.Dropped)
	logger.Info("invocation log on", "output", c.Output, "bodies", c.Bodies)
	return l, func() {
		l.Close()
		if err := closeFile(); err != nil {
			logger.Error("close invocation log", "error", err.Error())
		}
	}, nil
}

// secrets lists every secret of the config, for the invocation log to
// scrub wherever one would appear.
func secrets(cfg *config.Config) []string {
	var out []string
	for _, p := range cfg.Auth.Principals {
		for _, k := range p.AccessKeys {
			out = append(out, string(k.Secret))
		}
		for _, k := range p.APIKeys {
			out = append(out, string(k))
		}
	}
	for _, b := range cfg.Backends {
		out = append(out, string(b.APIKey))
	}
	if u := string(cfg.Redis.URL); u != "" {
		out = append(out, u)
		if pu, err := url.Parse(u); err == nil && pu.User != nil {
			if pw, ok := pu.User.Password(); ok {
				out = append(out, pw)
			}
		}
	}
	return out
}
