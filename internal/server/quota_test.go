package server_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// bubbleServer runs a converse server with quotas on an in-memory network
// and returns a Go SDK client for it with the standard retryer and the
// given attempts; everything stops when the test ends. Call it inside a
// synctest bubble.
func bubbleServer(t *testing.T, quotas ratelimit.Options, attempts int) *bedrockruntime.Client {
	t.Helper()
	tok := servertest.Tokens(t)
	rt, err := router.New(router.Options{
		Backends: map[string]provider.Provider{"builtin": builtin.New(builtin.Options{Tokens: tok})},
		Default:  "builtin", Tokens: tok, Catalog: catalog.New(), Quotas: quotas,
	})
	if err != nil {
		t.Fatal(err)
	}
	val, err := wire.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.New(auth.DevOptions())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Router: rt, Validator: val, Auth: verifier})
	if err != nil {
		t.Fatal(err)
	}
	ln := servertest.NewPipeListener()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Serve(ctx, server.HTTPServer(srv, nil), ln, time.Second) }()
	tr := &http.Transport{DialContext: ln.Dial}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return sdktest.Client(t, "http://quota.test", sdktest.Options{HTTPClient: &http.Client{Transport: tr}, MaxAttempts: attempts})
}

func hello() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("Hello")}}
}

// The Go SDK's standard retryer gets through a quota once its window
// allows, in virtual time: with the 2026 retry behaviour it waits the
// x-amz-retry-after the server sends and the first retry succeeds; the
// default behaviour ignores the header and its jittered backoff gets there
// within its attempts.
func TestQuotaGoSDKStandardRetryer(t *testing.T) {
	for _, tc := range []struct {
		name       string
		newRetries string
		attempts   int
	}{
		{"honours x-amz-retry-after", "true", 3},
		{"default jittered backoff", "", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_NEW_RETRIES_2026", tc.newRetries)
			synctest.Test(t, func(t *testing.T) {
				// 12 a minute: one request drips back every 5 s, within
				// the 5 s the retryer lets a header add to its backoff.
				client := bubbleServer(t, ratelimit.Options{Rules: []ratelimit.Rule{{Name: "twelve", RequestsPerMinute: 12}}}, tc.attempts)
				for i := range 12 {
					if _, err := client.Converse(t.Context(), hello()); err != nil {
						t.Fatalf("call %d: %v", i+1, err)
					}
				}
				start := time.Now()
				out, err := client.Converse(t.Context(), hello())
				if err != nil {
					t.Fatalf("13th call: %v", err)
				}
				waited := time.Since(start)
				res, _ := retry.GetAttemptResults(out.ResultMetadata)
				if len(res.Results) < 2 || waited < 5*time.Second {
					t.Errorf("13th call took %d attempts over %v, want a retry after at least 5s", len(res.Results), waited)
				}
				if tc.newRetries == "true" && len(res.Results) != 2 {
					t.Errorf("13th call took %d attempts, want 2: the first retry waits the header", len(res.Results))
				}
				var te *types.ThrottlingException
				if !errors.As(res.Results[0].Err, &te) {
					t.Errorf("first attempt: %v, want ThrottlingException", res.Results[0].Err)
				}
			})
		})
	}
}

// What a throttled or never-admissible call looks like to the Go SDK:
// typed exceptions with the rule in the message, retry-after headers, and
// the same before a stream's first event.
func TestQuotaErrorsThroughSDK(t *testing.T) {
	endpoint := servertest.Start(t, servertest.Options{Quotas: ratelimit.Options{Rules: []ratelimit.Rule{
		{Name: "one-a-minute", Model: "anthropic.*", RequestsPerMinute: 1, TokensPerMinute: 5000},
	}}})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	big := hello()
	big.InferenceConfig = &types.InferenceConfiguration{MaxTokens: aws.Int32(4096)}
	big.Messages = []types.Message{userText(strings.Repeat("many words ", 600))}
	_, err := client.Converse(t.Context(), big)
	if got := errorCode(err); got != "ServiceQuotaExceededException" || !strings.Contains(err.Error(), "can never be admitted") || httpStatus(err) != 400 {
		t.Errorf("oversized request: %v (status %d), want ServiceQuotaExceededException 400", err, httpStatus(err))
	}
	if _, err := client.Converse(t.Context(), hello()); err != nil {
		t.Fatal(err)
	}
	_, err = client.Converse(t.Context(), hello())
	var te *types.ThrottlingException
	if !errors.As(err, &te) || !strings.Contains(te.ErrorMessage(), `"one-a-minute"`) || !strings.Contains(te.ErrorMessage(), "allows 1 requests per minute") {
		t.Fatalf("second call: %v, want ThrottlingException naming the rule", err)
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	h := re.Response.Header
	ra, _ := strconv.Atoi(h.Get("Retry-After"))
	ms, _ := strconv.Atoi(h.Get("X-Amz-Retry-After"))
	if ra < 59 || ra > 60 || ms < 59000 || ms > 60000 || ra*1000 < ms {
		t.Errorf("Retry-After %q, x-amz-retry-after %q; want about a minute, the seconds rounded up", h.Get("Retry-After"), h.Get("X-Amz-Retry-After"))
	}
	_, err = client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("Hello")}})
	if !errors.As(err, &te) {
		t.Errorf("stream: %v, want ThrottlingException before the stream", err)
	}
	// Other models are not under the rule.
	if _, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: []types.Message{userText("Hello")}}); err != nil {
		t.Errorf("nova: %v", err)
	}
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// steppingClock is a clock that stands still until the limiter refuses a
// call and then moves on by exactly the retry-after, so that the client's
// retry finds the window open however long the machine takes.
type steppingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

type steppingStore struct {
	ratelimit.Store
	clock *steppingClock
}

func (s steppingStore) Admit(ctx context.Context, b ratelimit.Bucket, tokens int64, lease string) (ratelimit.Decision, error) {
	d, err := s.Store.Admit(ctx, b, tokens, lease)
	if err == nil && !d.Allowed {
		s.clock.mu.Lock()
		s.clock.t = s.clock.t.Add(d.RetryAfter)
		s.clock.mu.Unlock()
	}
	return d, err
}

// The JavaScript SDK's standard retry strategy waits the x-amz-retry-after
// the server sends and its retry succeeds (jstest/quota.mjs).
func TestQuotaJavaScriptSDKRetries(t *testing.T) {
	clock := &steppingClock{t: time.Now()}
	store := steppingStore{Store: ratelimit.NewMemory(ratelimit.MemoryOptions{Window: time.Second, Now: clock.Now}), clock: clock}
	endpoint := servertest.Start(t, servertest.Options{Quotas: ratelimit.Options{
		Rules: []ratelimit.Rule{{Name: "one-a-second", RequestsPerMinute: 1}}, Store: store,
	}})
	out := clientScript(t, "quota.mjs", endpoint, devKey, "900")
	if !strings.Contains(out, `"ok":true`) {
		t.Errorf("quota.mjs: %s", out)
	}
}

func errorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
