// Package servertest runs a complete converse server (server, router,
// validation, SigV4 verification) on a loopback port for tests in any
// package, as `converse serve` runs it.
package servertest

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/invocationlog"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/promptcache"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Options configure a test server; the zero value is `converse serve` on
// its defaults (built-in model, development key test/test), unpaced.
type Options struct {
	// Backends are added beside "builtin".
	Backends map[string]provider.Provider
	// Routes, Aliases and Default as in router.Options (Default is
	// "builtin" when empty).
	Routes  []router.Route
	Aliases map[string]string
	Default string
	// Builtin replaces the built-in model's options (Tokens is filled in).
	Builtin builtin.Options
	// Auth replaces the development key.
	Auth *auth.Options
	// Wrap, when set, wraps the router (to record or fake calls).
	Wrap func(server.Router) server.Router
	// Cache is the prompt-cache registry (nil: in memory, per server).
	Cache promptcache.Registry
	// Health, Invocations and Playground as in server.Options.
	Health      *health.Probes
	Invocations *invocationlog.Log
	Playground  http.Handler
	// Metrics, when set, records what the router sees (scrape its Handler).
	Metrics *metrics.Metrics
	// Quotas are the router's quota rules and store (none by default).
	Quotas ratelimit.Options
	// Tracing traces the server and, with its TracerProvider, the router.
	// ProviderNames name backends' providers for metrics and traces
	// (default: builtin is "converse").
	Tracing       server.Tracing
	ProviderNames map[string]string
	// Guardrails are the guardrails Converse, ConverseStream and
	// ApplyGuardrail know (none by default).
	Guardrails *guardrail.Set
	// Listener replaces the loopback TCP listener, e.g. with an in-memory
	// network for a synctest bubble.
	Listener net.Listener
	// Logger receives the server's and the router's log lines (nil:
	// discarded).
	Logger *slog.Logger
}

var sharedTokens = sync.OnceValues(tokens.New)

// Tokens is a token counter shared by the tests of one process.
func Tokens(t testing.TB) *tokens.Counter {
	t.Helper()
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Start runs a server until the test ends and returns its http:// endpoint.
func Start(t testing.TB, o Options) string {
	t.Helper()
	endpoint, _ := start(t, o, false)
	return endpoint
}

// StartTLS runs a server over HTTPS with a development certificate and
// returns its https:// endpoint and the certificate in PEM, for clients to
// trust (bearer tokens need HTTPS with the Go SDK).
func StartTLS(t testing.TB, o Options) (endpoint string, caPEM []byte) {
	t.Helper()
	return start(t, o, true)
}

func start(t testing.TB, o Options, useTLS bool) (string, []byte) {
	t.Helper()
	s, err := Run(o, useTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s.Endpoint, s.CAPEM
}

// Server is a running test server.
type Server struct {
	// Endpoint is its http:// or https:// URL.
	Endpoint string
	// CAPEM is the development certificate to trust (HTTPS only).
	CAPEM []byte
	stop  func() error
}

// Stop shuts the server down.
func (s *Server) Stop() error { return s.stop() }

// Run starts a server outside a test's lifetime (TestMain, examples); the
// caller stops it.
func Run(o Options, useTLS bool) (*Server, error) {
	tok, err := sharedTokens()
	if err != nil {
		return nil, err
	}
	bo := o.Builtin
	bo.Tokens = tok
	cat := catalog.New()
	if bo.Reasoning == nil {
		bo.Reasoning = func(id string) bool { m, ok := cat.Lookup(id); return ok && m.Reasoning }
	}
	backends := map[string]provider.Provider{"builtin": builtin.New(bo)}
	for name, p := range o.Backends {
		backends[name] = p
	}
	if o.Default == "" {
		o.Default = "builtin"
	}
	providerNames := o.ProviderNames
	if providerNames == nil {
		providerNames = map[string]string{"builtin": "converse"}
	}
	rt, err := router.New(router.Options{
		Backends: backends, Default: o.Default, Routes: o.Routes, Aliases: o.Aliases,
		Tokens: tok, Catalog: cat, Cache: o.Cache, Metrics: o.Metrics, Quotas: o.Quotas,
		ProviderNames: providerNames, TracerProvider: o.Tracing.TracerProvider,
		Guardrails: o.Guardrails, Logger: o.Logger,
	})
	if err != nil {
		return nil, err
	}
	var r server.Router = rt
	if o.Wrap != nil {
		r = o.Wrap(r)
	}
	val, err := wire.NewValidator()
	if err != nil {
		return nil, err
	}
	ao := auth.DevOptions()
	if o.Auth != nil {
		ao = *o.Auth
	}
	verifier, err := auth.New(ao)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Options{Router: r, Validator: val, Auth: verifier, Tracing: o.Tracing, Health: o.Health, Invocations: o.Invocations, Playground: o.Playground, Guardrails: o.Guardrails, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	out := &Server{}
	scheme := "http"
	if useTLS {
		cert, pemBytes, err := server.DevCertificate(nil, time.Now())
		if err != nil {
			return nil, err
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		out.CAPEM, scheme = pemBytes, "https"
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, server.HTTPServer(srv, tlsConfig), server.Listener(ln), time.Second) }()
	out.Endpoint = scheme + "://" + ln.Addr().String()
	out.stop = func() error {
		cancel()
		return <-done
	}
	return out, nil
}
