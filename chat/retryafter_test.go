package chat_test

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/ratelimit"
	"github.com/conversekit/converse/internal/servertest"
)

// A throttle from a converse quota carries x-amz-retry-after; the retryer
// waits that long even with no backoff of its own, so the first retry gets
// through (in virtual time, so the test does not wait).
func TestRetryAfterHeader(t *testing.T) {
	servertest.Tokens(t) // loaded outside the bubble
	synctest.Test(t, func(t *testing.T) {
		ln := servertest.NewPipeListener()
		// 12 a minute: one request drips back every 5s, the most the
		// SDK lets the header add to the backoff.
		srv, err := servertest.Run(servertest.Options{Listener: ln, Quotas: ratelimit.Options{Rules: []ratelimit.Rule{{Name: "twelve", RequestsPerMinute: 12}}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{DialContext: ln.Dial}
		t.Cleanup(func() {
			tr.CloseIdleConnections()
			if err := srv.Stop(); err != nil {
				t.Errorf("serve: %v", err)
			}
		})
		c, err := chat.New(t.Context(), chat.WithSettings(testSettings(srv.Endpoint)), chat.WithHTTPClient(&http.Client{Transport: tr}),
			chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay}), chat.WithOptions(chat.Options{Model: haiku}))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			if _, err := c.Prompt("Hello").Call(t.Context()); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		for _, mode := range []string{"call", "stream"} {
			began := time.Now()
			var err error
			if mode == "call" {
				_, err = c.Prompt("Hello").Call(t.Context())
			} else {
				_, err = streamErr(c, t.Context())
			}
			waited := time.Since(began)
			if err != nil {
				t.Fatalf("%s: %v, want success after waiting for the quota", mode, err)
			}
			if waited != 5*time.Second {
				t.Errorf("%s waited %v, want the 5s of x-amz-retry-after", mode, waited)
			}
		}
	})
}
