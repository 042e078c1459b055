// Package health answers the probes an orchestrator sends: GET /healthz
// (the process is alive and serving HTTP) and GET /readyz (it can do its
// work: every dependency check passes, and it is not draining). Both answer
// without authentication and reveal no configuration, only which named
// check failed.
package health

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Paths of the probes. They share no prefix with Bedrock Runtime's routes
// (POST /model/...), so they can be served on the API port.
const (
	LivePath  = "/healthz"
	ReadyPath = "/readyz"
)

// Check is one readiness condition, e.g. "redis" pinging the shared Redis.
type Check struct {
	Name string
	// Func reports why the dependency is unusable; it must respect ctx.
	Func func(ctx context.Context) error
}

// Options configure Probes; the zero value is always live and ready.
type Options struct {
	Checks []Check
	// Timeout bounds each check (0: 1s), well inside a kubelet probe's
	// own timeout.
	Timeout time.Duration
	// Logger receives why a check failed (the response names only the
	// check, since the probes answer anyone); nil discards.
	Logger *slog.Logger
}

// Probes serves the two endpoints.
type Probes struct {
	opts     Options
	draining atomic.Bool
}

// New returns Probes.
func New(opts Options) *Probes {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Probes{opts: opts}
}

// Register adds GET /healthz and GET /readyz (HEAD too) to mux.
func (p *Probes) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+LivePath, p.Live)
	mux.HandleFunc("GET "+ReadyPath, p.Ready)
}

// Live answers 200 while the process serves HTTP at all.
func (p *Probes) Live(w http.ResponseWriter, r *http.Request) {
	write(w, http.StatusOK, "ok\n")
}

// Drain marks the process as shutting down: from now on Ready answers 503
// "draining", so load balancers stop sending while open requests finish.
// Live is unaffected: the process is still healthy and must not be
// restarted mid-drain.
func (p *Probes) Drain() { p.draining.Store(true) }

// Ready answers 503 "draining" once Drain was called; otherwise it runs
// every check concurrently, each bounded by the timeout, and answers 200
// "ok", or 503 naming each failed check (the reason goes to the log).
func (p *Probes) Ready(w http.ResponseWriter, r *http.Request) {
	if p.draining.Load() {
		write(w, http.StatusServiceUnavailable, "draining\n")
		return
	}
	failed := make([]bool, len(p.opts.Checks))
	var wg sync.WaitGroup
	for i, c := range p.opts.Checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(r.Context(), p.opts.Timeout)
			defer cancel()
			if err := c.Func(ctx); err != nil {
				failed[i] = true
				p.opts.Logger.WarnContext(ctx, "not ready", "check", c.Name, "error", err.Error())
			}
		})
	}
	wg.Wait()
	var msg strings.Builder
	for i, c := range p.opts.Checks {
		if failed[i] {
			msg.WriteString(c.Name + ": not ready\n")
		}
	}
	if msg.Len() > 0 {
		write(w, http.StatusServiceUnavailable, msg.String())
		return
	}
	write(w, http.StatusOK, "ok\n")
}

func write(w http.ResponseWriter, status int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
