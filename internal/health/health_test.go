package health

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"
)

func ready(p *Probes) (int, string) {
	rec := httptest.NewRecorder()
	p.Ready(rec, httptest.NewRequest(http.MethodGet, ReadyPath, nil))
	return rec.Code, rec.Body.String()
}

func TestReady(t *testing.T) {
	ok := Check{Name: "config", Func: func(context.Context) error { return nil }}
	down := Check{Name: "redis", Func: func(context.Context) error { return errors.New("dial tcp 10.0.0.9:6379: refused") }}
	for _, tc := range []struct {
		name   string
		checks []Check
		status int
		body   string
	}{
		{"no checks", nil, 200, "ok\n"},
		{"all pass", []Check{ok}, 200, "ok\n"},
		{"one fails, named without its reason", []Check{ok, down}, 503, "redis: not ready\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ready(New(Options{Checks: tc.checks}))
			if status != tc.status || body != tc.body {
				t.Errorf("%d %q, want %d %q", status, body, tc.status, tc.body)
			}
		})
	}
}

// A check that hangs is cut at the timeout and counts as failed.
func TestReadyTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := Check{Name: "slow", Func: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }}
		start := time.Now()
		status, body := ready(New(Options{Checks: []Check{hang}, Timeout: 2 * time.Second}))
		if status != 503 || body != "slow: not ready\n" || time.Since(start) != 2*time.Second {
			t.Errorf("%d %q after %v, want 503 after the 2s timeout", status, body, time.Since(start))
		}
	})
}

// Once draining, /readyz fails without running the checks; /healthz still
// answers: a draining process is alive.
func TestDrain(t *testing.T) {
	ran := false
	p := New(Options{Checks: []Check{{Name: "config", Func: func(context.Context) error { ran = true; return nil }}}})
	if status, body := ready(p); status != 200 || body != "ok\n" {
		t.Fatalf("before Drain: %d %q, want 200 ok", status, body)
	}
	ran = false
	p.Drain()
	if status, body := ready(p); status != 503 || body != "draining\n" || ran {
		t.Errorf("draining: %d %q (checks ran: %v), want 503 draining without checks", status, body, ran)
	}
	rec := httptest.NewRecorder()
	p.Live(rec, httptest.NewRequest(http.MethodGet, LivePath, nil))
	if rec.Code != 200 {
		t.Errorf("live while draining: %d, want 200", rec.Code)
	}
}
