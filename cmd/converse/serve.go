package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

type serveFlags struct {
	addr      string
	tlsCert   string
	tlsKey    string
	ttft      time.Duration
	tps       float64
	logFormat string
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address `host:port`")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (needs -tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key `file` for -tls-cert")
	fs.DurationVar(&f.ttft, "builtin-ttft", 300*time.Millisecond, "built-in model: time to first token")
	fs.Float64Var(&f.tps, "builtin-tps", 60, "built-in model: output tokens per second (0: no pacing)")
	fs.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}

	logger, err := newLogger(stderr, f.logFormat)
	if err != nil {
		return err
	}
	tok, err := tokens.New()
	if err != nil {
		return fmt.Errorf("load tokenizer: %w", err)
	}
	model := builtin.New(builtin.Options{Tokens: tok, TimeToFirstToken: f.ttft, TokensPerSecond: f.tps})
	rt, err := router.New(router.Options{Default: model, Tokens: tok})
	if err != nil {
		return err
	}
	validator, err := wire.NewValidator()
	if err != nil {
		return fmt.Errorf("build validator: %w", err)
	}
	verifier, err := auth.New(auth.DevOptions())
	if err != nil {
		return err
	}
	srv, err := server.New(server.Options{Router: rt, Validator: validator, Auth: verifier, Logger: logger})
	if err != nil {
		return err
	}

	var tlsConfig *tls.Config
	scheme := "http"
	if f.tlsCert != "" || f.tlsKey != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	endpoint := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	fmt.Fprintf(stdout, `converse %s listening on %s (built-in model answers every model ID)

Call it with the development key (signatures are verified):
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=%s
`, version(), endpoint, endpoint)
	err = server.Serve(ctx, server.HTTPServer(srv, tlsConfig), ln, 30*time.Second)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("unknown -log-format %q (want text or json)", format)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
