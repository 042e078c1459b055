package chat_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

// failing answers with the exception name for the first fails calls.
func failing(name string, fails int) *script {
	return &script{answer: func(_ context.Context, n int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		if n <= fails {
			return nil, wire.Errorf(name, "try again later (%d)", n)
		}
		return textAnswer("finally"), nil
	}}
}

func TestRetry(t *testing.T) {
	cases := []struct {
		exception string
		fails     int
		attempts  int
		wantCalls int
		wantErr   func(error) bool // nil: success
	}{
		{wire.ThrottlingException, 2, 3, 3, nil},
		{wire.ModelTimeoutException, 2, 3, 3, nil},
		{wire.ServiceUnavailableException, 1, 2, 2, nil},
		{wire.InternalServerException, 1, 2, 2, nil},
		{wire.ModelNotReadyException, 2, 3, 3, nil},
		{wire.ThrottlingException, 2, 2, 2, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{wire.ServiceUnavailableException, 5, 1, 1, func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		{wire.ValidationException, 1, 3, 1, func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }},
		{wire.AccessDeniedException, 1, 3, 1, func(err error) bool { var e *types.AccessDeniedException; return errors.As(err, &e) }},
		{wire.ModelErrorException, 1, 3, 1, func(err error) bool { var e *types.ModelErrorException; return errors.As(err, &e) }},
		{wire.ServiceQuotaExceededException, 1, 3, 1, func(err error) bool { var e *types.ServiceQuotaExceededException; return errors.As(err, &e) }},
	}
	for _, tc := range cases {
		for _, mode := range []string{"call", "stream"} {
			t.Run(tc.exception+"/"+mode, func(t *testing.T) {
				s := failing(tc.exception, tc.fails)
				c := newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: tc.attempts, Backoff: noDelay}))
				var err error
				var text string
				if mode == "call" {
					var resp *chat.Response
					resp, err = c.Prompt("hi").Call(t.Context())
					if resp != nil {
						text = resp.Text
					}
				} else {
					var b strings.Builder
					for ch, e := range c.Prompt("hi").Stream(t.Context()) {
						if e != nil {
							err = e
							break
						}
						b.WriteString(ch.Text)
					}
					text = b.String()
				}
				if got := len(s.requests()); got != tc.wantCalls {
					t.Errorf("%d calls reached the server, want %d", got, tc.wantCalls)
				}
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("err %v, want success after retries", err)
				case tc.wantErr == nil && text != "finally":
					t.Errorf("text %q", text)
				case tc.wantErr != nil && (err == nil || !tc.wantErr(err)):
					t.Errorf("err %v (%T), want the SDK's %s type", err, err, tc.exception)
				}
			})
		}
	}
}

// A stream is not retried once it has yielded: the consumer has seen text.
func TestStreamNotRetriedMidway(t *testing.T) {
	s := &script{}
	s.answer = func(context.Context, int, *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("x"), nil
	}
	s.stream = func(_ context.Context, n int, _ *wire.ConverseRequest) iter.Seq2[*wire.StreamEvent, error] {
		return func(yield func(*wire.StreamEvent, error) bool) {
			evs := events(textAnswer("half and half"))
			for _, ev := range evs[:2] {
				if !yield(ev, nil) {
					return
				}
			}
			yield(nil, wire.Errorf(wire.ThrottlingException, "slow down"))
		}
	}
	c := newClient(t, start(t, s))
	var got error
	for _, err := range c.Prompt("hi").Stream(t.Context()) {
		if err != nil {
			got = err
		}
	}
	var th *types.ThrottlingException
	if !errors.As(got, &th) {
		t.Errorf("err %v, want ThrottlingException", got)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("%d calls, want 1 (no retry after output)", n)
	}
}

// An exception inside the stream before anything reached the consumer
// (here after messageStart, which yields nothing) is retried like a
// failed request, within the same attempts.
func TestStreamRetriedBeforeFirstChunk(t *testing.T) {
	for _, tc := range []struct {
		name             string
		fails, attempts  int
		wantCalls        int
		wantThrottleFail bool
	}{
		{"retried", 2, 3, 3, false},
		{"attempts spent", 5, 3, 3, true},
		{"no retries", 1, 1, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{}
			s.stream = func(_ context.Context, n int, _ *wire.ConverseRequest) iter.Seq2[*wire.StreamEvent, error] {
				return func(yield func(*wire.StreamEvent, error) bool) {
					evs := events(textAnswer("finally"))
					if n > tc.fails {
						for _, ev := range evs {
							if !yield(ev, nil) {
								return
							}
						}
						return
					}
					if yield(evs[0], nil) {
						yield(nil, wire.Errorf(wire.ThrottlingException, "slow down (%d)", n))
					}
				}
			}
			c := newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: tc.attempts, Backoff: noDelay}))
			text, err := streamErr(c, t.Context())
			var th *types.ThrottlingException
			if tc.wantThrottleFail != errors.As(err, &th) || (!tc.wantThrottleFail && text != "finally") {
				t.Errorf("text %q, err %v", text, err)
			}
			if n := len(s.requests()); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

// The retry quota is a token bucket shared by the client's calls: a
// throttling retry costs 5 tokens, any other retry 14, so with 10 tokens
// the first call spends them on two retries and the next may not retry.
func TestRetryQuota(t *testing.T) {
	for _, mode := range []string{"call", "stream"} {
		t.Run(mode, func(t *testing.T) {
			s := failing(wire.ThrottlingException, 100)
			c := newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay, Quota: ratelimit.NewTokenRateLimit(10)}))
			run := func() error {
				if mode == "call" {
					_, err := c.Prompt("hi").Call(t.Context())
					return err
				}
				_, err := streamErr(c, t.Context())
				return err
			}
			var th *types.ThrottlingException
			if err := run(); !errors.As(err, &th) {
				t.Fatalf("first call: %v", err)
			}
			if n := len(s.requests()); n != 3 {
				t.Fatalf("first call made %d attempts, want 3", n)
			}
			err := run()
			var qe ratelimit.QuotaExceededError
			if !errors.As(err, &th) || !errors.As(err, &qe) {
				t.Errorf("second call: %v, want the throttle and the exhausted quota", err)
			}
			if n := len(s.requests()); n != 4 {
				t.Errorf("second call made %d attempts, want 1 (no quota left)", n-3)
			}
		})
	}
	// Other retries cost more than the bucket holds.
	s := failing(wire.ServiceUnavailableException, 1)
	c := newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay, Quota: ratelimit.NewTokenRateLimit(10)}))
	if _, err := c.Prompt("hi").Call(t.Context()); err == nil || len(s.requests()) != 1 {
		t.Errorf("err %v after %d attempts, want a failure without retry", err, len(s.requests()))
	}
	// ratelimit.None turns the quota off.
	s = failing(wire.ServiceUnavailableException, 2)
	c = newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay, Quota: ratelimit.None}))
	if _, err := c.Prompt("hi").Call(t.Context()); err != nil {
		t.Errorf("without a quota: %v", err)
	}
}

// dropFirst is a proxy to endpoint that closes the connection of its
// first `drops` requests without answering.
func dropFirst(t *testing.T, endpoint string, drops int) (string, func() int) {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	seen := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen++
		n := seen
		mu.Unlock()
		if n <= drops {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() int { mu.Lock(); defer mu.Unlock(); return seen }
}

// A connection closed before any answer is retried, for calls and streams.
func TestRetryConnectionError(t *testing.T) {
	for _, mode := range []string{"call", "stream"} {
		t.Run(mode, func(t *testing.T) {
			endpoint, seen := dropFirst(t, start(t, builtinModel(t)), 2)
			c := newClient(t, endpoint)
			var err error
			if mode == "call" {
				_, err = c.Prompt("Tell me a joke").Call(t.Context())
			} else {
				_, err = streamErr(c, t.Context())
			}
			if err != nil {
				t.Fatalf("err %v, want success after two dropped connections", err)
			}
			if n := seen(); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
		})
	}
	endpoint, seen := dropFirst(t, start(t, builtinModel(t)), 1)
	c := newClient(t, endpoint, chat.WithRetry(chat.Retry{MaxAttempts: 1}))
	if _, err := c.Prompt("hi").Call(t.Context()); err == nil || seen() != 1 {
		t.Errorf("MaxAttempts 1: err %v after %d requests, want one failed request", err, seen())
	}
}
