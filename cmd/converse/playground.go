package main

import (
	"io"
	"log/slog"
	"slices"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/playground"
	"github.com/conversekit/converse/internal/router"
)

// playgroundOperators are the principals who may read the playground's
// request log: the config's operators, plus the development principal
// with the development key and the anonymous one when authentication is
// off (anyone may call every model then anyway).
func playgroundOperators(cfg *config.Config, noAuth bool) []string {
	ops := slices.Clone(cfg.Playground.Operators)
	switch {
	case noAuth:
		ops = append(ops, "anonymous")
	case len(cfg.Auth.Principals) == 0:
		ops = append(ops, auth.DevOptions().Principals[0].Name)
	}
	slices.Sort(ops)
	return slices.Compact(ops)
}

// recentCalls is the request log's memory, or nil when the playground is
// off or nobody may read it (then no record is made for it).
func recentCalls(on bool, operators []string) *playground.Recent {
	if !on || len(operators) == 0 {
		return nil
	}
	return playground.NewRecent(0)
}

// asWriter keeps a nil *Recent a nil io.Writer.
func asWriter(r *playground.Recent) io.Writer {
	if r == nil {
		return nil
	}
	return r
}

// newPlayground builds the playground's handler from what the router was
// given, so its model list says what the server does.
func newPlayground(cfg *config.Config, noAuth bool, cat *catalog.Catalog, routes []router.Route, aliases map[string]string, def string,
	authn playground.Authenticator, recent *playground.Recent, operators []string, logger *slog.Logger,
) (*playground.Handler, error) {
	opts := playground.Options{
		Models: cat.Models(), Aliases: aliases, Default: def,
		Verifier: authn, Operators: operators, Recent: recent, Logger: logger,
	}
	for _, r := range routes {
		opts.Routes = append(opts.Routes, playground.Route{Match: r.Pattern, Backend: r.Target.Backend, Model: r.Target.Model})
	}
	switch {
	case noAuth:
		opts.Auth.Mode = playground.ModeOpen
	case len(cfg.Auth.Principals) == 0:
		// The development key is public (docs, banner): the page may
		// have it. A configured key never reaches the page.
		k := auth.DevOptions().AccessKeys[0]
		opts.Auth = playground.Auth{Mode: playground.ModeDev, AccessKeyID: k.ID, SecretAccessKey: string(k.Secret)}
	default:
		opts.Auth.Mode = playground.ModeKeys
	}
	opts.Auth.Region = signingRegion(cfg)
	return playground.New(opts)
}

// signingRegion is the region the page signs for: the first the server
// accepts, as the banner tells SDK users.
func signingRegion(cfg *config.Config) string {
	if rs := cfg.Auth.Regions; len(rs) > 0 && rs[0] != "*" {
		return rs[0]
	}
	return auth.DefaultRegion
}
