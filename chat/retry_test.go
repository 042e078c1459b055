package chat_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

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
		{wire.ThrottlingException, 2, 2, 2, func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		{wire.ServiceUnavailableException, 5, 1, 1, func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		{wire.ValidationException, 1, 3, 1, func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }},
		{wire.AccessDeniedException, 1, 3, 1, func(err error) bool { var e *types.AccessDeniedException; return errors.As(err, &e) }},
	}
	for _, tc := range cases {
		for _, mode := range []string{"call", "stream"} {
			t.Run(tc.exception+"/"+mode, func(t *testing.T) {
				s := failing(tc.exception, tc.fails)
				c := newClient(t, start(t, s), chat.WithRetry(chat.Retry{MaxAttempts: tc.attempts, BaseDelay: 1e6, MaxDelay: 2e6}))
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
