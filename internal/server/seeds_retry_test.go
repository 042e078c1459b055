package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
)

// fastBackoff keeps the SDK's own retryer but caps its backoff, so a test
// of retries does not sleep for seconds.
func fastBackoff(o *bedrockruntime.Options) {
	o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
}

func testMessage() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("测试消息")}}
}

// throttleOnce is the retry scenario as a script: the first call is
// throttled, later calls get the default answer.
const throttleOnce = `
rules:
  - match: {text: "测试消息"}
    sequence:
      - exception: {type: ThrottlingException}
`

// The SDK's own retryer absorbs one ThrottlingException: the call succeeds
// on its second attempt.
func TestSeedRetryWithSDKRetryer(t *testing.T) {
	client := sdktestClient(t, startScripted(t, throttleOnce), 3)
	out, err := client.Converse(t.Context(), testMessage(), fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(textOf(t, out), "测试消息") {
		t.Errorf("answer %q", textOf(t, out))
	}
	attempts, ok := retry.GetAttemptResults(out.ResultMetadata)
	if !ok || len(attempts.Results) != 2 {
		t.Errorf("attempts %+v, want 2 (throttled, then answered)", attempts.Results)
	}

	// Without retries the client sees the typed exception with Bedrock's
	// message.
	once := sdktestClient(t, startScripted(t, throttleOnce), 1)
	_, err = once.Converse(t.Context(), testMessage())
	var te *types.ThrottlingException
	if !errors.As(err, &te) || te.ErrorMessage() != "Too many requests, please wait before trying again." {
		t.Errorf("got %v, want a ThrottlingException", err)
	}
}

// robustConverseClient is the seed's RobustConverseClient: it retries
// ThrottlingException with exponential backoff and ModelTimeoutException at
// once, and re-raises anything else.
type robustConverseClient struct {
	client        *bedrockruntime.Client
	maxRetries    int
	backoffFactor time.Duration
	log           []string
}

func (r *robustConverseClient) converseWithRetry(ctx context.Context, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	for attempt := range r.maxRetries {
		response, err := r.client.Converse(ctx, in)
		if err == nil {
			return response, nil
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return nil, err
		}
		switch errorCode := ae.ErrorCode(); errorCode {
		case "ThrottlingException":
			wait := r.backoffFactor * (1 << attempt)
			r.log = append(r.log, fmt.Sprintf("被限流,等待 %v后重试...", wait))
			time.Sleep(wait)
		case "ModelTimeoutException":
			r.log = append(r.log, "模型超时,重试中...")
		default:
			r.log = append(r.log, "不可重试错误: "+errorCode)
			return nil, err
		}
	}
	return nil, errors.New("达到最大重试次数")
}

func TestSeedRobustConverseClient(t *testing.T) {
	endpoint := startScripted(t, `
rules:
  - match: {text: "测试消息"}
    sequence:
      - exception: {type: ThrottlingException}
      - exception: {type: ModelTimeoutException}
  - match: {text: "always busy"}
    reply: {exception: {type: ThrottlingException}}
  - match: {text: "forbidden"}
    reply: {exception: {type: AccessDeniedException, message: "You don't have access to the model with the specified model ID."}}
`)
	cases := []struct {
		text    string
		wantErr string // "" for success
		log     []string
	}{
		{"测试消息", "", []string{"被限流,等待 1µs后重试...", "模型超时,重试中..."}},
		{"always busy", "达到最大重试次数", []string{"被限流,等待 1µs后重试...", "被限流,等待 2µs后重试...", "被限流,等待 4µs后重试..."}},
		{"forbidden", "AccessDeniedException", []string{"不可重试错误: AccessDeniedException"}},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			robust := &robustConverseClient{client: sdktestClient(t, endpoint, 1), maxRetries: 3, backoffFactor: time.Microsecond}
			in := testMessage()
			in.Messages = []types.Message{userText(tc.text)}
			_, err := robust.converseWithRetry(t.Context(), in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("调用失败: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %s", err, tc.wantErr)
			}
			if strings.Join(robust.log, "\n") != strings.Join(tc.log, "\n") {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(robust.log, "\n"), strings.Join(tc.log, "\n"))
			}
		})
	}
}

// Fault injection with a seeded random source: "25 % ThrottlingException"
// fails the same calls on every run with the same seed; the SDK's retryer
// gets every call through.
func TestSeededFaultInjection(t *testing.T) {
	const script = `
seed: 42
rules:
  - probability: 0.25
    reply: {exception: {type: ThrottlingException}}
`
	pattern := func() string {
		client := sdktestClient(t, startScripted(t, script), 1)
		var b strings.Builder
		for range 40 {
			if _, err := client.Converse(t.Context(), testMessage()); err != nil {
				if !isType[*types.ThrottlingException](err) {
					t.Fatalf("unexpected error %v", err)
				}
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	first, second := pattern(), pattern()
	if first != second {
		t.Errorf("the same seed failed different calls:\n%s\n%s", first, second)
	}
	if n := strings.Count(first, "x"); n < 3 || n > 20 {
		t.Errorf("%d of 40 calls throttled at probability 0.25: %s", n, first)
	}

	client := sdktestClient(t, startScripted(t, script), 5)
	retried := 0
	for i := range 40 {
		out, err := client.Converse(t.Context(), testMessage(), fastBackoff)
		if err != nil {
			t.Fatalf("call %d failed despite retries: %v", i, err)
		}
		if a, _ := retry.GetAttemptResults(out.ResultMetadata); len(a.Results) > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no call needed a retry")
	}
}
