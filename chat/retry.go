package chat

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Retry is the policy for transient Bedrock errors: ThrottlingException,
// ModelTimeoutException and ServiceUnavailableException are retried with
// exponential backoff and full jitter; every other error is returned at
// once, typed (errors.As to the SDK's exception types, e.g.
// *types.ValidationException).
type Retry struct {
	// MaxAttempts counts the first try; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt, doubled each time.
	BaseDelay time.Duration
	// MaxDelay caps one backoff.
	MaxDelay time.Duration
}

// DefaultRetry is 3 attempts, 200ms doubling, capped at 10s.
func DefaultRetry() Retry {
	return Retry{MaxAttempts: 3, BaseDelay: 200 * time.Millisecond, MaxDelay: 10 * time.Second}
}

// Retryable reports the errors the retry policy retries.
func Retryable(err error) bool {
	var (
		th *types.ThrottlingException
		mt *types.ModelTimeoutException
		su *types.ServiceUnavailableException
	)
	return errors.As(err, &th) || errors.As(err, &mt) || errors.As(err, &su)
}

// backoff returns the wait before attempt n+1 (n ≥ 1): a uniform draw in
// [0, min(MaxDelay, BaseDelay·2^(n-1))], so that many clients throttled at
// once do not come back in step.
func (r Retry) backoff(n int) time.Duration {
	d := r.BaseDelay
	for i := 1; i < n && d < r.MaxDelay; i++ {
		d *= 2
	}
	if r.MaxDelay > 0 && d > r.MaxDelay {
		d = r.MaxDelay
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// do runs f until it succeeds, fails with a non-retryable error, or the
// attempts are spent.
func (r Retry) do(ctx context.Context, f func() error) error {
	attempts := max(r.MaxAttempts, 1)
	for n := 1; ; n++ {
		err := f()
		if err == nil || n >= attempts || !Retryable(err) {
			return err
		}
		t := time.NewTimer(r.backoff(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, context.Cause(ctx))
		case <-t.C:
		}
	}
}
