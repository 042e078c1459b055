package chat

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Retry is the policy for transient errors, run by the SDK's standard
// retryer (retry.NewStandard): exponential backoff with full jitter, a
// least delay from the x-amz-retry-after header of a throttled answer
// (which converse sends when a quota throttles), and a client-wide retry
// quota (a token bucket) that stops retries when most calls fail.
//
// Retried: connection errors (refused, reset, failed dials), HTTP 500,
// 502, 503 and 504, and the Bedrock exceptions that say the same request
// may succeed later — ThrottlingException, ServiceUnavailableException,
// InternalServerException, ModelNotReadyException (retryable in the API
// model) and ModelTimeoutException (the model ran out of time; nothing
// was answered). Every other error is returned at once, typed (errors.As
// to the SDK's exception types, e.g. *types.ValidationException). A
// stream is retried only before its first chunk was yielded.
type Retry struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt, doubled each
	// time; the SDK starts throttling errors at 1s whatever it says.
	// Ignored when Backoff is set.
	BaseDelay time.Duration
	// MaxDelay caps one backoff.
	MaxDelay time.Duration
	// Backoff, when set, replaces the exponential backoff, e.g. with
	// retry.BackoffDelayerFunc returning 0 in tests. An x-amz-retry-after
	// header still raises the delay (at most 5s above it).
	Backoff retry.BackoffDelayer
	// Quota is the retry quota shared by the client's calls: nil means the
	// SDK's token bucket (500 tokens; a retry costs 14, 5 after a
	// throttling error; a success returns them). ratelimit.None turns it
	// off; ratelimit.NewTokenRateLimit sizes it.
	Quota retry.RateLimiter
}

// DefaultRetry is 3 attempts, 200ms doubling, capped at 10s, with the
// SDK's retry quota.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second}
}

// retryableCodes are the Bedrock exceptions retried beside the SDK's
// defaults (which already cover ThrottlingException as a throttle and
// 500/503 by status).
var retryableCodes = map[string]struct{}{
	"ThrottlingException":         {},
	"ServiceUnavailableException": {},
	"InternalServerException":     {},
	"ModelNotReadyException":      {},
	"ModelTimeoutException":       {},
}

// retryer builds the SDK retryer for the policy. One retryer serves a
// client, so its quota is shared by the client's calls.
func (r Retry) retryer() *retry.Standard {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = max(r.MaxAttempts, 1)
		if r.MaxDelay > 0 {
			o.MaxBackoff = r.MaxDelay
		}
		o.BaseDelay = r.BaseDelay
		o.Backoff = r.Backoff
		if r.Quota != nil {
			o.RateLimiter = r.Quota
		}
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: retryableCodes})
	})
}

var defaultRetryer = DefaultRetry().retryer()

// Retryable reports the errors the retry policy retries.
func Retryable(err error) bool { return err != nil && defaultRetryer.IsErrorRetryable(err) }

// retryAgain decides, for an error the SDK did not retry itself (an
// exception inside a stream, before anything was yielded), whether to try
// again after attempt n: within the attempts, the policy and the quota. It
// waits the backoff and returns the release of the quota token, to call
// with the next attempt's error; or the error to return.
func retryAgain(ctx context.Context, rt *retry.Standard, n int, err error) (func(error) error, error) {
	if n >= rt.MaxAttempts() || !rt.IsErrorRetryable(err) {
		return nil, err
	}
	release, qerr := rt.GetRetryToken(ctx, err)
	if qerr != nil {
		return nil, errors.Join(err, qerr)
	}
	d, derr := rt.RetryDelay(n, err)
	if derr != nil {
		return nil, errors.Join(err, derr)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, errors.Join(err, context.Cause(ctx))
	case <-t.C:
	}
	return release, nil
}

// attempts is how many attempts the SDK made for a call that returned.
func attempts(md middleware.Metadata) int {
	if res, ok := retry.GetAttemptResults(md); ok && len(res.Results) > 0 {
		return len(res.Results)
	}
	return 1
}
