package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/redistest"
	"github.com/conversekit/converse/internal/wire"
)

// clock is a manual clock: quota windows are tested without waiting.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one action of a scenario: optionally advance the clock, then
// admit a call (want: "" admitted, or the exception type) or settle an
// earlier admitted call (settle: its 1-based index among the admits).
type step struct {
	advance   time.Duration
	principal string
	model     string
	prompt    int64
	output    int64
	want      string
	wantIn    []string      // substrings of the exception message
	wantRetry time.Duration // exact RetryAfter of a throttled admit
	settle    int
	used      int64
}

const claude = "anthropic.claude-3-haiku-20240307-v1:0"

func admit(p string, prompt, output int64) step {
	return step{principal: p, model: claude, prompt: prompt, output: output}
}

func (s step) then(want string, retry time.Duration, in ...string) step {
	s.want, s.wantRetry, s.wantIn = want, retry, in
	return s
}

func (s step) after(d time.Duration) step { s.advance = d; return s }

func settle(i int, used int64) step { return step{settle: i, used: used} }

func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func seq(parts ...any) []step {
	var out []step
	for _, p := range parts {
		switch p := p.(type) {
		case step:
			out = append(out, p)
		case []step:
			out = append(out, p...)
		}
	}
	return out
}

const throttled, exceeded = wire.ThrottlingException, wire.ServiceQuotaExceededException

// cases run unchanged against the in-memory store and against Redis.
var cases = []struct {
	name  string
	rules []Rule
	steps []step
}{
	{
		name:  "requests per minute: the 11th of 10 waits one emission interval",
		rules: []Rule{{Name: "ten", RequestsPerMinute: 10}},
		steps: seq(
			repeat(10, admit("alice", 0, 0)),
			admit("alice", 0, 0).then(throttled, 6*time.Second, `Quota "ten"`, "allows 10 requests per minute", "retry after 6s", "Too many requests"),
			admit("alice", 0, 0).after(6*time.Second-time.Microsecond).then(throttled, time.Microsecond),
			admit("alice", 0, 0).after(time.Microsecond),
			admit("alice", 0, 0).then(throttled, 6*time.Second),
			// A whole idle minute refills the bucket, but never beyond 10.
			admit("alice", 0, 0).after(time.Minute),
			repeat(9, admit("alice", 0, 0)),
			admit("alice", 0, 0).then(throttled, 6*time.Second),
		),
	},
	{
		name:  "an idle minute refills to the limit, not beyond",
		rules: []Rule{{Name: "two", RequestsPerMinute: 2}},
		steps: seq(
			admit("alice", 0, 0).after(time.Hour),
			admit("alice", 0, 0),
			admit("alice", 0, 0).then(throttled, 30*time.Second),
		),
	},
	{
		name:  "tokens are reserved, then refunded at settlement",
		rules: []Rule{{Name: "tpm", TokensPerMinute: 1000}},
		steps: seq(
			admit("alice", 100, 500),
			// 600 + 600 is 200 over: 200 tokens at 1000/min is 12 s.
			admit("alice", 100, 500).then(throttled, 12*time.Second, "Too many tokens", "allows 1000 tokens per minute", "reserves 600 (100 prompt + 500 output)", "retry after 12s"),
			settle(1, 150), // 450 back
			admit("alice", 100, 500),
			admit("alice", 0, 300).then(throttled, 3*time.Second),
		),
	},
	{
		name:  "usage beyond the reservation is charged",
		rules: []Rule{{Name: "tpm", TokensPerMinute: 1000}},
		steps: seq(
			admit("alice", 50, 50),
			settle(1, 1000), // 900 more
			admit("alice", 0, 100).then(throttled, 6*time.Second),
			admit("alice", 0, 100).after(6*time.Second),
		),
	},
	{
		name:  "a reservation larger than the minute's allowance can never be met",
		rules: []Rule{{Name: "small", Principal: "alice", Model: "anthropic.*", TokensPerMinute: 1000}},
		steps: seq(
			admit("alice", 200, 801).then(exceeded, 0, "reserves 1001 tokens (200 prompt + 801 output)", `quota "small"`, "allows 1000 tokens per minute", "can never be admitted", "Lower maxTokens"),
			admit("alice", 200, 800),
		),
	},
	{
		name:  "concurrent requests: a slot frees when a call settles",
		rules: []Rule{{Name: "two-at-once", Concurrent: 2}},
		steps: seq(
			admit("alice", 0, 0),
			admit("alice", 0, 0),
			admit("alice", 0, 0).then(throttled, time.Second, "allows 2 concurrent requests and 2 are in flight"),
			settle(1, 0),
			admit("alice", 0, 0),
			admit("alice", 0, 0).then(throttled, time.Second),
		),
	},
	{
		name:  "each principal has its own allowance unless the rule is shared",
		rules: []Rule{{Name: "own", Model: "anthropic.*", RequestsPerMinute: 1}, {Name: "pool", Shared: true, RequestsPerMinute: 1}},
		steps: seq(
			admit("alice", 0, 0),
			admit("bob", 0, 0),
			admit("alice", 0, 0).then(throttled, time.Minute),
			step{principal: "alice", model: "amazon.nova-lite-v1:0"},
			step{principal: "bob", model: "amazon.nova-lite-v1:0", want: throttled, wantRetry: time.Minute, wantIn: []string{"all principals matching *"}},
		),
	},
	{
		name: "the first matching rule decides; no match means no limit",
		rules: []Rule{
			{Name: "alice-claude", Principal: "alice", Model: "anthropic.*", RequestsPerMinute: 1},
			{Name: "claude", Model: "anthropic.*", RequestsPerMinute: 100},
		},
		steps: seq(
			admit("alice", 0, 0),
			admit("alice", 0, 0).then(throttled, time.Minute, `"alice-claude"`),
			admit("bob", 0, 0),
			admit("bob", 0, 0),
			repeat(5, step{principal: "alice", model: "amazon.nova-lite-v1:0"}),
		),
	},
	{
		name:  "a refused call takes nothing from the other limits",
		rules: []Rule{{Name: "both", RequestsPerMinute: 2, TokensPerMinute: 100}},
		steps: seq(
			admit("alice", 80, 0),
			admit("alice", 80, 0).then(throttled, 36*time.Second, "Too many tokens"),
			admit("alice", 10, 0),
			admit("alice", 1, 0).then(throttled, 30*time.Second, "Too many requests"),
		),
	},
	{
		name:  "the longest wait is reported when several limits refuse",
		rules: []Rule{{Name: "both", RequestsPerMinute: 1, TokensPerMinute: 60}},
		steps: seq(
			admit("alice", 30, 0),
			// requests: 60 s; tokens: (30+60-60) at 1/s = 30 s.
			admit("alice", 60, 0).then(throttled, time.Minute, "Too many requests"),
		),
	},
}

type storeMaker func(t *testing.T, c *clock) Store

func stores(t *testing.T) map[string]storeMaker {
	return map[string]storeMaker{
		"memory": func(t *testing.T, c *clock) Store { return NewMemory(MemoryOptions{Now: c.Now}) },
		"redis": func(t *testing.T, c *clock) Store {
			return NewRedis(redisClient(t), RedisOptions{Prefix: "q:" + t.Name() + ":", Now: c.Now})
		},
	}
}

func redisClient(t *testing.T) *redis.Client { return benchRedis(t) }

// benchRedis starts a redis-server for the test or benchmark and returns a
// client for it.
func benchRedis(t testing.TB) *redis.Client {
	t.Helper()
	addr := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLimiter(t *testing.T) {
	for storeName, mk := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					c := newClock()
					l, err := New(Options{Rules: tc.rules, Store: mk(t, c), Match: glob})
					if err != nil {
						t.Fatal(err)
					}
					run(t, l, c, tc.steps)
				})
			}
		})
	}
}

// glob is the routes' glob semantics in small: a trailing or lone *.
func glob(p, s string) bool {
	if prefix, ok := strings.CutSuffix(p, "*"); ok {
		return strings.HasPrefix(s, prefix)
	}
	return p == s
}

func run(t *testing.T, l *Limiter, c *clock, steps []step) {
	t.Helper()
	var admitted []*Reservation
	for i, s := range steps {
		c.Advance(s.advance)
		if s.settle > 0 {
			admitted[s.settle-1].Settle(t.Context(), s.used)
			continue
		}
		prompt, output := s.prompt, s.output
		res, err := l.Admit(t.Context(), Request{
			Principal: s.principal, Models: []string{s.model},
			Tokens: func() Reserve { return Reserve{Prompt: prompt, Output: output} },
		})
		if s.want == "" {
			if err != nil {
				t.Fatalf("step %d: %v, want admitted", i, err)
			}
			admitted = append(admitted, res)
			continue
		}
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != s.want {
			t.Fatalf("step %d: got %v, want %s", i, err, s.want)
		}
		if ex.RetryAfter != s.wantRetry {
			t.Errorf("step %d: retry after %v, want %v", i, ex.RetryAfter, s.wantRetry)
		}
		for _, w := range s.wantIn {
			if !strings.Contains(ex.Message, w) {
				t.Errorf("step %d: message %q lacks %q", i, ex.Message, w)
			}
		}
	}
}

func TestNewRejects(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Rules: []Rule{{Name: "x"}}}, "sets no limit"},
		{Options{Rules: []Rule{{Name: "x", RequestsPerMinute: -1}}}, "must not be negative"},
		{Options{Rules: []Rule{{RequestsPerMinute: 1}, {RequestsPerMinute: 2}}}, `name "* *" is already taken`},
		{Options{OnStoreError: "maybe"}, "not fail_open or fail_closed"},
	} {
		if _, err := New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.opts, err, tc.want)
		}
	}
}

// Redis that cannot be reached: the configured policy decides, and both are
// logged and counted. Nothing falls back to counting in this process.
func TestStoreFailurePolicy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	client := redis.NewClient(&redis.Options{Addr: dead, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	for _, policy := range []FailurePolicy{FailOpen, FailClosed} {
		t.Run(string(policy), func(t *testing.T) {
			met := metrics.New(metrics.Options{})
			var log strings.Builder
			l, err := New(Options{
				Rules:        []Rule{{Name: "one", RequestsPerMinute: 1}},
				Store:        NewRedis(client, RedisOptions{Prefix: "q:"}),
				OnStoreError: policy, Metrics: met,
				Logger: slogTo(&log),
			})
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				res, err := l.Admit(t.Context(), Request{Principal: "alice", Models: []string{claude}})
				switch policy {
				case FailOpen:
					if err != nil || res != nil {
						t.Fatalf("fail_open: %v, %v; want admitted uncounted", res, err)
					}
				case FailClosed:
					var ex *wire.Exception
					if !errors.As(err, &ex) || ex.Type != wire.ServiceUnavailableException || !strings.Contains(ex.Message, "quota service is unavailable") {
						t.Fatalf("fail_closed: %v; want ServiceUnavailableException", err)
					}
				}
			}
			if !strings.Contains(log.String(), string(policy)) {
				t.Errorf("log lacks the policy: %s", log.String())
			}
			body := scrape(t, met)
			for _, want := range []string{
				fmt.Sprintf(`converse_ratelimit_decisions_total{result=%q,rule="one"} 3`, policy),
				`converse_redis_errors_total{component="ratelimit",op="admit"} 3`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

// A Redis that forgot its scripts (restart, failover, SCRIPT FLUSH) gets
// them again; the keys of one bucket share a hash tag.
func TestRedisScriptReloadAndKeys(t *testing.T) {
	client := redisClient(t)
	ctx := t.Context()
	c := newClock()
	l, err := New(Options{Rules: []Rule{{Name: "r{1}", RequestsPerMinute: 5, TokensPerMinute: 1000, Concurrent: 3}}, Store: NewRedis(client, RedisOptions{Prefix: "p:", Now: c.Now})})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Principal: "al}ice", Models: []string{claude}, Tokens: func() Reserve { return Reserve{Prompt: 10, Output: 20} }}
	res, err := l.Admit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := client.Keys(ctx, "p:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	tag := "p:{r%7B1%7D%00al%7Dice}:"
	for _, k := range keys {
		if !strings.HasPrefix(k, tag) {
			t.Errorf("key %q lacks the bucket's hash tag %q", k, tag)
		}
	}
	if len(keys) != 3 {
		t.Errorf("keys %v, want requests, tokens and leases", keys)
	}
	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	res.Settle(ctx, 5)
	if _, err := l.Admit(ctx, req); err != nil {
		t.Fatalf("after SCRIPT FLUSH: %v", err)
	}
	if n := client.ZCard(ctx, tag+"c").Val(); n != 1 {
		t.Errorf("leases in flight %d, want 1 (one settled, one admitted)", n)
	}
	// Idle buckets expire in Redis: the TAT keys live only as long as the
	// bucket is not full.
	if ttl := client.PTTL(ctx, tag+"r").Val(); ttl <= 0 || ttl > 25*time.Second {
		t.Errorf("requests key TTL %v, want at most the 24 s two requests take to drip back", ttl)
	}
}

// Settling after the caller hung up still squares the quota.
func TestSettleAfterCancel(t *testing.T) {
	c := newClock()
	l, err := New(Options{Rules: []Rule{{Name: "one", Concurrent: 1}}, Store: NewMemory(MemoryOptions{Now: c.Now})})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Admit(t.Context(), Request{Principal: "a", Models: []string{claude}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res.Settle(ctx, 0)
	if _, err := l.Admit(t.Context(), Request{Principal: "a", Models: []string{claude}}); err != nil {
		t.Errorf("slot not freed by a settlement with a cancelled context: %v", err)
	}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// failingSettle admits everything and fails every settlement.
type failingSettle struct{ Store }

func (failingSettle) Settle(context.Context, Bucket, int64, string) error {
	return errors.New("connection refused")
}

// A settlement the store cannot record is logged and counted; the call it
// belongs to is already over, so nothing else happens.
func TestSettleFailureCounted(t *testing.T) {
	met := metrics.New(metrics.Options{})
	var log strings.Builder
	l, err := New(Options{
		Rules: []Rule{{Name: "c", Concurrent: 1}}, Store: failingSettle{NewMemory(MemoryOptions{})},
		Metrics: met, Logger: slogTo(&log),
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Admit(t.Context(), Request{Principal: "a", Models: []string{claude}})
	if err != nil {
		t.Fatal(err)
	}
	res.Settle(t.Context(), 0)
	if !strings.Contains(scrape(t, met), `converse_redis_errors_total{component="ratelimit",op="settle"} 1`) || !strings.Contains(log.String(), "quota settlement failed") {
		t.Errorf("settlement failure not counted and logged: %s", log.String())
	}
}
