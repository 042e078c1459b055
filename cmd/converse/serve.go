package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/health"
	"github.com/conversekit/converse/internal/logbuf"
	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/provider/replay"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/telemetry"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
	"go.opentelemetry.io/otel"
)

type serveFlags struct {
	config       string
	addr         string
	tlsCert      string
	tlsKey       string
	tlsDevCert   string
	noAuth       bool
	regions      string
	ttft         time.Duration
	tps          float64
	paceConverse bool
	logFormat    string
	logLevel     string
	metrics      string
	pprof        bool
	script       string
	record       string
	replay       string
	grace        time.Duration
	writeLimit   time.Duration
	playground   bool
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "YAML configuration `file` (keys, TLS, pacing); none: development defaults")
	fs.StringVar(&f.addr, "addr", "", "listen address `host:port` (default 127.0.0.1:8080, or the config's listen)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (needs -tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key `file` for -tls-cert")
	fs.StringVar(&f.tlsDevCert, "tls-dev-cert", "", "serve HTTPS with a generated self-signed certificate, written to `file` for clients to trust")
	fs.BoolVar(&f.noAuth, "insecure-no-auth", false, "accept every request without checking signatures or keys (logs a warning)")
	fs.StringVar(&f.regions, "regions", "", "comma-separated `regions` a SigV4 credential scope may name (default us-east-1, or the config's auth.regions; \"*\": any)")
	fs.DurationVar(&f.ttft, "builtin-ttft", 300*time.Millisecond, "built-in model: time to first token")
	fs.Float64Var(&f.tps, "builtin-tps", 60, "built-in model: output tokens per second (0: no pacing)")
	fs.BoolVar(&f.paceConverse, "builtin-pace-converse", false, "built-in model: non-streaming Converse waits as long as the streamed answer would take, not only -builtin-ttft")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", "", "least severe level logged: debug, info, warn or error (default info, or the config's log_level)")
	fs.StringVar(&f.script, "script", "", "built-in model: scripted rules from this YAML `file` (see docs/emulator.md)")
	fs.StringVar(&f.record, "record", "", "record every exchange with the backends into `dir`")
	fs.StringVar(&f.replay, "replay", "", "answer only from the exchanges recorded in `dir`")
	fs.BoolVar(&f.playground, "playground", true, "serve the web playground at /playground (-playground=false: off)")
	fs.StringVar(&f.metrics, "metrics-addr", "", "serve Prometheus metrics on `host:port`/metrics (a separate listener; off when empty)")
	fs.BoolVar(&f.pprof, "pprof", false, "also serve Go's profiler (net/http/pprof) at /debug/pprof/ on the -metrics-addr listener, never on the API port")
	fs.DurationVar(&f.grace, "shutdown-grace", 30*time.Second, "on SIGTERM, let open requests finish this long, then end streams with ServiceUnavailableException (0: at once)")
	fs.DurationVar(&f.writeLimit, "stream-write-timeout", time.Minute, "end a stream whose client has not taken an event-stream frame within this time")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the flags were printed, as asked
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })

	cfg := &config.Config{}
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return err
		}
	}
	if !set["log-level"] {
		f.logLevel = cmp.Or(cfg.LogLevel, "info")
	}
	// Info lines reach stderr in batches (within logbuf.DefaultDelay), not
	// one write system call per request on the request's goroutine;
	// warnings and errors at once.
	logOut := logbuf.New(stderr, logbuf.Options{})
	defer logOut.Close()
	logger, err := newLogger(logOut, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	logger = slog.New(logbuf.Urgent(logger.Handler(), logOut))
	if !set["addr"] {
		f.addr = cmp.Or(cfg.Listen, "127.0.0.1:8080")
	}
	if !set["tls-cert"] && !set["tls-key"] {
		f.tlsCert, f.tlsKey = cfg.TLS.Cert, cfg.TLS.Key
	}
	if !set["shutdown-grace"] && cfg.ShutdownGrace != nil {
		f.grace = *cfg.ShutdownGrace
	}
	if !set["stream-write-timeout"] && cfg.StreamWriteTimeout != 0 {
		f.writeLimit = cfg.StreamWriteTimeout
	}
	if f.grace < 0 || f.writeLimit <= 0 {
		return errors.New("serve: -shutdown-grace must not be negative and -stream-write-timeout must be positive")
	}
	if !set["pprof"] {
		f.pprof = cfg.Pprof
	}
	if f.pprof && f.metrics == "" {
		return errors.New("serve: -pprof (pprof: true) serves the profiler on the metrics listener: set -metrics-addr too")
	}
	if !set["builtin-ttft"] && cfg.Builtin.TimeToFirstToken != nil {
		f.ttft = *cfg.Builtin.TimeToFirstToken
	}
	if !set["builtin-tps"] && cfg.Builtin.TokensPerSecond != nil {
		f.tps = *cfg.Builtin.TokensPerSecond
	}
	if !set["builtin-pace-converse"] && cfg.Builtin.PaceConverse != nil {
		f.paceConverse = *cfg.Builtin.PaceConverse
	}
	if !set["playground"] && cfg.Playground.Enabled != nil {
		f.playground = *cfg.Playground.Enabled
	}

	tok, err := tokens.New()
	if err != nil {
		return fmt.Errorf("load tokenizer: %w", err)
	}
	if f.record != "" && f.replay != "" {
		return errors.New("serve: -record and -replay exclude each other")
	}
	cat, err := catalog.Load(catalog.Options{Models: cfg.Models})
	if err != nil {
		return fmt.Errorf("models: %w", err)
	}
	bopts := builtin.Options{
		Tokens: tok, TimeToFirstToken: f.ttft, TokensPerSecond: f.tps, PaceConverse: f.paceConverse,
		Reasoning: func(id string) bool { m, ok := cat.Lookup(id); return ok && m.Reasoning },
	}
	if f.script == "" {
		f.script = cfg.Script
	}
	if f.script != "" {
		if bopts.Script, err = builtin.LoadScript(f.script); err != nil {
			return err
		}
	}
	tel, err := telemetry.New(ctx, telemetryOptions(cfg.Telemetry))
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, logger)
	if tel.Enabled() || tel.MetricsEnabled() {
		// The exporters report failures (an unreachable collector) only
		// through this process-wide hook; the library never sets it.
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { logger.Warn("telemetry", "error", err.Error()) }))
	}
	bs, err := backends(ctx, cfg, builtin.New(bopts), tel.Propagator, logger)
	if err != nil {
		return err
	}
	routes, aliases, def := routing(cfg)
	recordings := 0
	switch {
	case f.record != "":
		for name, p := range bs {
			if bs[name], err = replay.NewRecorder(p, f.record); err != nil {
				return err
			}
		}
	case f.replay != "":
		player, err := replay.NewPlayer(f.replay)
		if err != nil {
			return err
		}
		recordings = player.Len()
		bs, routes, def = map[string]provider.Provider{"replay": player}, nil, "replay"
	}
	met := metrics.New(metrics.Options{MeterProvider: tel.MeterProvider})
	rdb, err := redisClient(ctx, cfg.Redis)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	probes := health.New(health.Options{Checks: readiness(rdb), Logger: logger})
	operators := playgroundOperators(cfg, f.noAuth)
	recent := recentCalls(f.playground, operators)
	invocations, closeInvocations, err := invocationLog(cfg, stdout, logger, asWriter(recent), met)
	if err != nil {
		return err
	}
	defer closeInvocations()
	guards, err := guardrails(cfg)
	if err != nil {
		return err
	}
	rt, err := router.New(router.Options{
		Backends: bs, Default: def, Routes: routes, Aliases: aliases,
		Tokens: tok, Catalog: cat, Logger: logger, Metrics: met, Cache: cacheRegistry(rdb, cfg.Redis),
		ProviderNames: providerNames(cfg), TracerProvider: tel.TracerProvider,
		Quotas: quotaOptions(cfg, rdb), QuotaOutputTokens: cfg.Quotas.DefaultOutputTokens,
		Guardrails: guards,
	})
	if err != nil {
		return err
	}
	validator, err := wire.NewValidator()
	if err != nil {
		return fmt.Errorf("build validator: %w", err)
	}
	if set["regions"] {
		cfg.Auth.Regions = strings.Split(f.regions, ",")
	}
	authn, authNote, err := authenticator(cfg, f.noAuth)
	if err != nil {
		return err
	}
	if f.noAuth {
		logger.Warn("authentication is off (-insecure-no-auth): anyone who can reach this port can call every model")
	}
	var pg http.Handler
	if f.playground {
		h, err := newPlayground(cfg, f.noAuth, cat, routes, aliases, def, authn, recent, operators, logger)
		if err != nil {
			return err
		}
		pg = h
	}
	srv, err := server.New(server.Options{
		Router: rt, Validator: validator, Auth: authn, Logger: logger,
		Health: probes, Invocations: invocations, Playground: pg,
		Tracing:              server.Tracing{TracerProvider: tel.TracerProvider, Propagator: tel.Propagator},
		StreamWriteTimeout:   f.writeLimit,
		MaxBodyBytes:         cfg.Server.MaxBodyBytes,
		MaxInflightBodyBytes: inflightBudget(cfg.Server),
		BodyBudgetWait:       cfg.Server.BodyBudgetWait,
		Guardrails:           guards,
	})
	if err != nil {
		return err
	}

	tlsConfig, tlsNote, err := tlsSetup(f)
	if err != nil {
		return err
	}
	ln, err := listen(f.addr, addrFlag(set, cfg))
	if err != nil {
		return err
	}
	defer ln.Close() // Serve closes it too; this covers the returns before it
	var mln net.Listener
	if f.metrics != "" {
		if mln, err = listen(f.metrics, "-metrics-addr"); err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", met.Handler())
		probes.Register(mux)
		if f.pprof {
			mountPprof(mux)
		}
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		// The metrics listener outlives the API server's drain, so that
		// probes and scrapes still answer while open requests finish
		// (/readyz with 503 "draining"); it stops once the API server has.
		mctx, stopMetrics := context.WithCancel(context.WithoutCancel(ctx))
		metricsDone := make(chan struct{})
		go func() {
			defer close(metricsDone)
			_ = server.Serve(mctx, msrv, mln, time.Second)
		}()
		defer func() { stopMetrics(); <-metricsDone }()
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	b := banner{
		version: version(), endpoint: fmt.Sprintf("%s://%s", scheme, ln.Addr()), authNote: authNote, tlsNote: tlsNote,
		cfg: cfg, routes: routes, aliases: aliases, def: def,
		ttft: f.ttft, tps: f.tps, paceConverse: f.paceConverse, script: f.script, scriptRules: bopts.Script.Len(),
		record: f.record, replay: f.replay, recordings: recordings,
		quotasInRedis: rdb != nil, playground: f.playground,
	}
	if tel.Enabled() {
		b.traces = telemetryOptions(cfg.Telemetry).Describe()
	}
	if tel.MetricsEnabled() {
		b.otlpMetrics = telemetryOptions(cfg.Telemetry).DescribeMetrics()
	}
	if mln != nil {
		b.metrics = mln.Addr().String()
		b.pprof = f.pprof
	}
	b.write(stdout)
	stopLog := context.AfterFunc(ctx, func() {
		probes.Drain() // before the log line, which tests wait for
		logger.Info("shutting down: no new connections; open requests may finish; /readyz answers 503", "grace", f.grace)
	})
	defer stopLog()
	if err := server.Serve(ctx, server.HTTPServer(srv, tlsConfig), server.Listener(ln), f.grace); err != nil {
		return err
	}
	logger.Info("stopped")
	return nil
}

// listen opens addr; when it is taken, the error names the flag (or
// config key) that chooses another.
func listen(addr, flagName string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s is already in use by another program: stop it, or choose another address with %s", addr, flagName)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, flagName, err)
	}
	return ln, nil
}

// addrFlag names where the API's listen address came from.
func addrFlag(set map[string]bool, cfg *config.Config) string {
	if !set["addr"] && cfg.Listen != "" {
		return "-addr (or listen: in the config file)"
	}
	return "-addr"
}

func telemetryOptions(t config.Telemetry) telemetry.Options {
	return telemetry.Options{
		Enabled: t.Enabled, Protocol: t.Protocol, Endpoint: t.Endpoint,
		SampleRatio: t.SampleRatio, ServiceName: t.ServiceName, Version: version(),
		Metrics: t.Metrics.Enabled, MetricInterval: t.Metrics.ExportInterval,
	}
}

// shutdownTelemetry exports the spans still buffered and the metrics'
// final values, for at most a few seconds: a collector that is gone must
// not hold the exit.
func shutdownTelemetry(tel *telemetry.Telemetry, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		logger.Warn("export remaining telemetry", "error", err.Error())
	}
}

// inflightBudget is the configured budget of body bytes in flight, else a
// quarter of GOMEMLIMIT when one is set (bodies cost about two to three
// times their size while decoded, so a quarter leaves room for the rest of
// the process), else the server's default.
func inflightBudget(c config.Server) int64 {
	if c.MaxInflightBodyBytes > 0 {
		return c.MaxInflightBodyBytes
	}
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		return max(lim/4, cmp.Or(c.MaxBodyBytes, 100<<20))
	}
	return 0
}

// authenticator builds the request verifier: the config's principals, or
// the development key test/test when the config has none.
func authenticator(cfg *config.Config, noAuth bool) (server.Authenticator, string, error) {
	if noAuth {
		return auth.Open{}, "Authentication is OFF: any credentials (or none) are accepted.", nil
	}
	region := auth.DefaultRegion
	if rs := cfg.Auth.Regions; len(rs) > 0 && rs[0] != "*" {
		region = rs[0]
	}
	if len(cfg.Auth.Principals) == 0 {
		dev := auth.DevOptions()
		dev.Regions, dev.UnsignedPayloadOverHTTP = cfg.Auth.Regions, cfg.Auth.UnsignedPayloadOverHTTP
		v, err := auth.New(dev)
		if err != nil {
			return nil, "", fmt.Errorf("auth config: %w", err)
		}
		return v, "Call it with the development key (signatures are verified):\n  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=" + region, nil
	}
	opts := auth.Options{MaxSkew: cfg.Auth.MaxSkew, Regions: cfg.Auth.Regions, UnsignedPayloadOverHTTP: cfg.Auth.UnsignedPayloadOverHTTP}
	var names []string
	for _, p := range cfg.Auth.Principals {
		opts.Principals = append(opts.Principals, auth.Principal{Name: p.Name, Models: p.Models})
		for _, k := range p.AccessKeys {
			opts.AccessKeys = append(opts.AccessKeys, auth.AccessKey{ID: k.ID, Secret: auth.Secret(k.Secret), Principal: p.Name})
		}
		for _, k := range p.APIKeys {
			opts.APIKeys = append(opts.APIKeys, auth.APIKey{Key: auth.Secret(k), Principal: p.Name})
		}
		names = append(names, p.Name)
	}
	v, err := auth.New(opts)
	if err != nil {
		return nil, "", fmt.Errorf("auth config: %w", err)
	}
	return v, "Principals: " + strings.Join(names, ", ") + " (SigV4 access keys in region " + region + " and Bedrock API keys from the config).", nil
}

func tlsSetup(f serveFlags) (*tls.Config, string, error) {
	switch {
	case f.tlsDevCert != "":
		cert, pemBytes, err := server.DevCertificate(nil, time.Now())
		if err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(f.tlsDevCert, pemBytes, 0o644); err != nil {
			return nil, "", fmt.Errorf("write development certificate: %w", err)
		}
		// Absolute, so the exports work from any directory.
		ca := absPath(f.tlsDevCert)
		note := fmt.Sprintf("  export AWS_CA_BUNDLE=%s NODE_EXTRA_CA_CERTS=%s   # trust the development certificate\n", ca, ca)
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, note, nil
	case f.tlsCert != "" || f.tlsKey != "":
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, "", fmt.Errorf("load TLS certificate: %w", err)
		}
		note := fmt.Sprintf("  TLS certificate %s, key %s\n", absPath(f.tlsCert), absPath(f.tlsKey))
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, note, nil
	}
	return nil, "", nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var opts slog.HandlerOptions
	switch level {
	case "debug":
		opts.Level = slog.LevelDebug
	case "info":
		opts.Level = slog.LevelInfo
	case "warn":
		opts.Level = slog.LevelWarn
	case "error":
		opts.Level = slog.LevelError
	default:
		return nil, fmt.Errorf("unknown -log-level %q (want debug, info, warn or error)", level)
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, &opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, &opts)), nil
	}
	return nil, fmt.Errorf("unknown -log-format %q (want text or json)", format)
}

// version is the module version when built by `go install …@version`,
// else the VCS revision the binary was built from (with "-dirty" when
// the tree had uncommitted changes), else "(devel)".
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "(devel) " + rev
}
