// Package ratelimit answers "may this principal spend N requests and tokens
// on this model now?", and if not, when to retry. Quotas are rules matched
// by principal and model; each rule limits requests per minute, tokens per
// minute and requests in flight. Counters live in this process (Memory) or
// in Redis, shared by every replica (Redis).
//
// Tokens are reserved when a call is admitted (prompt plus the output it may
// produce, as Bedrock reserves maxTokens) and settled with the real usage
// when it ends: the difference is refunded or charged.
//
// The per-minute limits use GCRA (the generic cell rate algorithm): a
// token bucket of one minute's allowance, refilled continuously, stored as
// one number per counter — the theoretical arrival time (TAT) at which the
// bucket will be full again. Admitting n units moves it n·(window/limit)
// later; a call is refused when that would put it more than one window
// ahead of now, and the excess is exactly the retry-after. Compared with a
// sliding-window log it needs O(1) state however high the limit (a token
// limit of millions would mean millions of log entries), refunds and extra
// charges are one addition, and there is no fixed-window boundary where
// twice the limit gets through. In Redis the whole decision is one Lua
// script over three keys sharing a hash tag.
package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/wire"
)

// Limits are one rule's allowances; zero means no limit on that dimension.
type Limits struct {
	RequestsPerMinute int64
	TokensPerMinute   int64
	// Concurrent bounds the requests in flight at once.
	Concurrent int64
}

func (l Limits) zero() bool {
	return l.RequestsPerMinute == 0 && l.TokensPerMinute == 0 && l.Concurrent == 0
}

// Rule is one quota. The first rule matching a call's principal and model
// decides, as the first matching route does.
type Rule struct {
	// Name identifies the rule in messages, metrics and Redis keys
	// (default "principal model", from the two patterns).
	Name string
	// Principal and Model are exact names or globs ("*" or "" for all).
	Principal string
	Model     string
	// Shared makes every principal the rule matches draw on one allowance;
	// by default each principal has its own.
	Shared bool
	// Limits; zero leaves a dimension unlimited.
	RequestsPerMinute int64
	TokensPerMinute   int64
	Concurrent        int64
}

func (r *Rule) limits() Limits {
	return Limits{RequestsPerMinute: r.RequestsPerMinute, TokensPerMinute: r.TokensPerMinute, Concurrent: r.Concurrent}
}

// Dimension names a limit as the configuration does.
type Dimension string

const (
	Requests   Dimension = "requests_per_minute"
	Tokens     Dimension = "tokens_per_minute"
	Concurrent Dimension = "concurrent"
)

// Bucket is the set of counters a store keeps for one rule and principal.
type Bucket struct {
	// Key is unique per rule and principal (or per rule when shared).
	Key    string
	Limits Limits
}

// Decision is a store's answer to one admission.
type Decision struct {
	Allowed bool
	// Denied names the limit that refused (the one with the longest wait
	// when several did) and RetryAfter when it will allow the call; for
	// Concurrent it is a hint, since only a finishing call frees a slot.
	Denied     Dimension
	RetryAfter time.Duration
	// InFlight is the number of calls in flight when Concurrent refused.
	InFlight int64
}

// Store keeps counters. Admit decides atomically for all three limits of a
// bucket: it takes one request, tokens and a concurrency slot identified by
// lease, or nothing. Settle adds tokenDelta (negative: a refund) and, when
// lease is not empty, frees that slot.
type Store interface {
	Admit(ctx context.Context, b Bucket, tokens int64, lease string) (Decision, error)
	Settle(ctx context.Context, b Bucket, tokenDelta int64, lease string) error
}

// FailurePolicy is what admission does when the store fails (Redis is
// unreachable): let calls through uncounted, or refuse them. Either way the
// failure is logged and counted; there is never a silent fallback to
// per-process counting.
type FailurePolicy string

const (
	FailClosed FailurePolicy = "fail_closed"
	FailOpen   FailurePolicy = "fail_open"
)

// Options configure a Limiter.
type Options struct {
	Rules []Rule
	// Store keeps the counters; nil: NewMemory(MemoryOptions{}).
	Store Store
	// OnStoreError is the policy when the store fails (default fail_closed).
	OnStoreError FailurePolicy
	// Match reports whether a rule's glob matches a principal or model ID;
	// nil matches exactly, with "*" matching everything. The router passes
	// the glob its routes use so that a pattern means the same in both.
	Match func(pattern, s string) bool
	// Logger notes store failures; nil discards.
	Logger *slog.Logger
	// Metrics counts decisions and store errors; nil counts nothing.
	Metrics *metrics.Metrics
}

// Limiter applies quota rules. It is safe for concurrent use.
type Limiter struct {
	opts Options
}

// New checks the rules and returns a Limiter.
func New(o Options) (*Limiter, error) {
	if o.Store == nil {
		o.Store = NewMemory(MemoryOptions{})
	}
	if o.Match == nil {
		o.Match = func(p, s string) bool { return p == "*" || p == s }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	switch o.OnStoreError {
	case "":
		o.OnStoreError = FailClosed
	case FailClosed, FailOpen:
	default:
		errs = append(errs, fmt.Errorf("ratelimit: store failure policy %q is not fail_open or fail_closed", o.OnStoreError))
	}
	names := map[string]bool{}
	rules := make([]Rule, len(o.Rules))
	for i, r := range o.Rules {
		if r.Principal == "" {
			r.Principal = "*"
		}
		if r.Model == "" {
			r.Model = "*"
		}
		if r.Name == "" {
			r.Name = r.Principal + " " + r.Model
		}
		if names[r.Name] {
			errs = append(errs, fmt.Errorf("ratelimit: rule %d: name %q is already taken (rules with the same name would share counters)", i, r.Name))
		}
		names[r.Name] = true
		if r.RequestsPerMinute < 0 || r.TokensPerMinute < 0 || r.Concurrent < 0 {
			errs = append(errs, fmt.Errorf("ratelimit: rule %q: limits must not be negative", r.Name))
		}
		if r.limits().zero() {
			errs = append(errs, fmt.Errorf("ratelimit: rule %q sets no limit", r.Name))
		}
		rules[i] = r
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	o.Rules = rules
	return &Limiter{opts: o}, nil
}

// Request is a call asking for admission.
type Request struct {
	Principal string
	// Models are the IDs a rule's model pattern is tried against (the ID
	// as sent, then its resolved and base forms); the first is the one
	// messages name.
	Models []string
	// Tokens returns what the call reserves. It is called only when the
	// matching rule limits tokens, since counting a prompt costs time.
	Tokens func() Reserve
}

// Reserve is the tokens a call reserves: its whole prompt (cached parts
// included) and the output it may produce.
type Reserve struct {
	Prompt, Output int64
}

// Total is what is reserved.
func (r Reserve) Total() int64 { return r.Prompt + r.Output }

// Reservation is an admitted call's hold on its quota, released by Settle.
// A nil *Reservation (no rule applied) settles as a no-op.
type Reservation struct {
	l        *Limiter
	rule     *Rule
	bucket   Bucket
	reserved Reserve
	lease    string
}

// Reserved is what the call reserved.
func (r *Reservation) Reserved() Reserve {
	if r == nil {
		return Reserve{}
	}
	return r.reserved
}

// LimitsTokens reports whether settling needs the call's usage.
func (r *Reservation) LimitsTokens() bool {
	return r != nil && r.bucket.Limits.TokensPerMinute > 0
}

// rule returns the first rule matching the call's principal and model, or nil.
func (l *Limiter) rule(req Request) *Rule {
	for i := range l.opts.Rules {
		r := &l.opts.Rules[i]
		if !l.opts.Match(r.Principal, req.Principal) {
			continue
		}
		for _, m := range req.Models {
			if l.opts.Match(r.Model, m) {
				return r
			}
		}
	}
	return nil
}

// Admit decides whether the call may proceed now. It returns a
// Reservation to settle when the call ends (nil when no rule applies), or a
// *wire.Exception: ThrottlingException with when to retry;
// ServiceQuotaExceededException when the call reserves more tokens than the
// rule allows in a minute, so no wait would help; ServiceUnavailableException
// when the store failed under fail_closed.
func (l *Limiter) Admit(ctx context.Context, req Request) (*Reservation, error) {
	r := l.rule(req)
	if r == nil {
		return nil, nil
	}
	res := &Reservation{l: l, rule: r, bucket: l.bucket(r, req.Principal)}
	if r.TokensPerMinute > 0 && req.Tokens != nil {
		res.reserved = req.Tokens()
		if n := res.reserved.Total(); n > r.TokensPerMinute {
			l.opts.Metrics.QuotaDecision(r.Name, "quota_exceeded")
			return nil, wire.Errorf(wire.ServiceQuotaExceededException,
				"This request reserves %d tokens (%d prompt + %d output) but quota %s allows %d tokens per minute, so it can never be admitted. Lower maxTokens or shorten the prompt.",
				n, res.reserved.Prompt, res.reserved.Output, l.describe(r, req), r.TokensPerMinute)
		}
	}
	if r.Concurrent > 0 {
		res.lease = newLease()
	}
	d, err := l.opts.Store.Admit(ctx, res.bucket, res.reserved.Total(), res.lease)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.opts.Metrics.RedisError("ratelimit", "admit")
		if l.opts.OnStoreError == FailOpen {
			l.opts.Metrics.QuotaDecision(r.Name, "fail_open")
			l.opts.Logger.WarnContext(ctx, "quota store failed; admitting uncounted (fail_open)", "rule", r.Name, "principal", req.Principal, "error", err.Error())
			return nil, nil
		}
		l.opts.Metrics.QuotaDecision(r.Name, "fail_closed")
		l.opts.Logger.ErrorContext(ctx, "quota store failed; refusing (fail_closed)", "rule", r.Name, "principal", req.Principal, "error", err.Error())
		ex := wire.Errorf(wire.ServiceUnavailableException, "The quota service is unavailable, so quota %s cannot be checked and the request is refused. Try again later.", l.describe(r, req))
		return nil, ex
	}
	if !d.Allowed {
		l.opts.Metrics.QuotaDecision(r.Name, "throttled")
		return nil, l.throttled(r, req, res.reserved, d)
	}
	l.opts.Metrics.QuotaDecision(r.Name, "allowed")
	return res, nil
}

func (l *Limiter) describe(r *Rule, req Request) string {
	model := ""
	if len(req.Models) > 0 {
		model = req.Models[0]
	}
	scope := "principal " + req.Principal
	if r.Shared {
		scope = "all principals matching " + r.Principal
	}
	return fmt.Sprintf("%q for %s and models %s (this call: %s)", r.Name, scope, r.Model, model)
}

func (l *Limiter) throttled(r *Rule, req Request, rs Reserve, d Decision) error {
	var ex *wire.Exception
	wait := ceilDuration(d.RetryAfter)
	switch d.Denied {
	case Tokens:
		ex = wire.Errorf(wire.ThrottlingException,
			"Too many tokens, please wait before trying again. Quota %s allows %d tokens per minute and this request reserves %d (%d prompt + %d output); retry after %s.",
			l.describe(r, req), r.TokensPerMinute, rs.Total(), rs.Prompt, rs.Output, wait)
	case Concurrent:
		ex = wire.Errorf(wire.ThrottlingException,
			"Too many requests, please wait before trying again. Quota %s allows %d concurrent requests and %d are in flight; retry when one finishes.",
			l.describe(r, req), r.Concurrent, d.InFlight)
	default:
		ex = wire.Errorf(wire.ThrottlingException,
			"Too many requests, please wait before trying again. Quota %s allows %d requests per minute; retry after %s.",
			l.describe(r, req), r.RequestsPerMinute, wait)
	}
	ex.RetryAfter = d.RetryAfter
	return ex
}

// ceilDuration rounds up to a tenth of a second for messages, so a client
// waiting what it reads is never early.
func ceilDuration(d time.Duration) time.Duration {
	const step = 100 * time.Millisecond
	return (d + step - 1) / step * step
}

func (l *Limiter) bucket(r *Rule, principal string) Bucket {
	who := principal
	if r.Shared {
		who = "*"
	}
	return Bucket{Key: r.Name + "\x00" + who, Limits: r.limits()}
}

// settleTimeout bounds settling, which runs after the caller may have gone.
const settleTimeout = 5 * time.Second

// Settle ends the reservation with the tokens the call really used (prompt,
// cached prompt and output): the difference from the reservation is
// refunded or charged, and the concurrency slot is freed. It runs even when
// ctx is cancelled (the caller hung up), since the quota must still be
// squared. Failures are logged and counted, not returned: the call is over.
func (r *Reservation) Settle(ctx context.Context, used int64) {
	if r == nil {
		return
	}
	delta := int64(0)
	if r.bucket.Limits.TokensPerMinute > 0 {
		delta = used - r.reserved.Total()
	}
	if delta == 0 && r.lease == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	if err := r.l.opts.Store.Settle(ctx, r.bucket, delta, r.lease); err != nil {
		r.l.opts.Metrics.RedisError("ratelimit", "settle")
		r.l.opts.Logger.WarnContext(ctx, "quota settlement failed", "rule", r.rule.Name, "tokens", delta, "error", err.Error())
	}
}

func newLease() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
