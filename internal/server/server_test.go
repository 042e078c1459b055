package server_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

const haiku = "anthropic.claude-3-haiku-20240307-v1:0"

// recorder wraps a router and remembers what reached it.
type recorder struct {
	server.Router
	mu     sync.Mutex
	models []string
}

func (r *recorder) note(c *provider.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.models = append(r.models, c.ModelID)
}

func (r *recorder) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	r.note(c)
	return r.Router.Converse(ctx, c)
}

func (r *recorder) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	r.note(c)
	return r.Router.ConverseStream(ctx, c)
}

func (r *recorder) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.models) == 0 {
		return ""
	}
	return r.models[len(r.models)-1]
}

// start runs a converse server on a loopback port, as `converse serve` does,
// and returns its endpoint. wrap may replace the router.
func start(t testing.TB, wrap func(server.Router) server.Router) string {
	t.Helper()
	return servertest.Start(t, servertest.Options{Wrap: wrap})
}

func userText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func assistantText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func textOf(t *testing.T, out *bedrockruntime.ConverseOutput) string {
	t.Helper()
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("output is %T, want a message", out.Output)
	}
	if msg.Value.Role != types.ConversationRoleAssistant {
		t.Errorf("role %q, want assistant", msg.Value.Role)
	}
	var b strings.Builder
	for _, c := range msg.Value.Content {
		if tc, ok := c.(*types.ContentBlockMemberText); ok {
			b.WriteString(tc.Value)
		}
	}
	return b.String()
}

func checkUsage(t *testing.T, u *types.TokenUsage) {
	t.Helper()
	if u == nil {
		t.Fatal("no usage")
	}
	if *u.InputTokens <= 0 || *u.OutputTokens <= 0 {
		t.Errorf("usage %d in / %d out, want both > 0", *u.InputTokens, *u.OutputTokens)
	}
	if *u.TotalTokens != *u.InputTokens+*u.OutputTokens {
		t.Errorf("totalTokens %d != %d + %d", *u.TotalTokens, *u.InputTokens, *u.OutputTokens)
	}
}

// The seed's first example: a plain converse call with inferenceConfig.
func TestConverseSeedBasic(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	msgs := []types.Message{userText("Explain overfitting in machine learning and how to avoid it")}
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId:         aws.String(haiku),
		Messages:        msgs,
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(512), Temperature: aws.Float32(0.5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := textOf(t, out)
	if !strings.Contains(text, "overfitting") {
		t.Errorf("answer does not address the question: %q", text)
	}
	if out.StopReason != types.StopReasonEndTurn {
		t.Errorf("stopReason %q, want end_turn", out.StopReason)
	}
	checkUsage(t, out.Usage)
	if out.Metrics == nil || out.Metrics.LatencyMs == nil || *out.Metrics.LatencyMs < 0 {
		t.Errorf("metrics %+v, want latencyMs", out.Metrics)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || len(id) != 36 {
		t.Errorf("request ID %q, want a UUID", id)
	}

	// The same request again gets the same answer: the model is deterministic.
	again, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: msgs,
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(512), Temperature: aws.Float32(0.5)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(text, textOf(t, again)); diff != "" {
		t.Errorf("second answer differs (-first +second):\n%s", diff)
	}

	// CountTokens agrees with the usage Converse reported.
	ct, err := client.CountTokens(t.Context(), &bedrockruntime.CountTokensInput{
		ModelId: aws.String(haiku),
		Input:   &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: msgs}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *ct.InputTokens != *out.Usage.InputTokens {
		t.Errorf("CountTokens %d, Converse inputTokens %d", *ct.InputTokens, *out.Usage.InputTokens)
	}
}

func TestConverseSystemPromptAndMultiTurn(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku),
		System:  []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "You are a pirate. Answer in one sentence."}},
		Messages: []types.Message{
			userText("Hello, who are you?"),
			assistantText("Arr, a pirate."),
			userText("What is your ship called?"),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The answer is about the last question, in the one sentence the
	// system prompt asks for.
	text := textOf(t, out)
	if !strings.Contains(text, "ship") || strings.Count(text, ".") != 1 || !strings.HasSuffix(text, ".") {
		t.Errorf("answer %q, want one sentence about the ship", text)
	}
	checkUsage(t, out.Usage)
}

func TestConverseMaxTokensAndStopSequences(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	msgs := []types.Message{userText("Describe the water cycle in 200 words")}
	full, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	fullText := textOf(t, full)
	if n := len(strings.Fields(fullText)); n < 200 {
		t.Errorf("asked for 200 words, got %d", n)
	}

	short, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: msgs,
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(7)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if short.StopReason != types.StopReasonMaxTokens {
		t.Errorf("stopReason %q, want max_tokens", short.StopReason)
	}
	if got := *short.Usage.OutputTokens; got > 7 || got < 5 {
		t.Errorf("outputTokens %d, want 5..7 with maxTokens 7", got)
	}
	if st := textOf(t, short); !strings.HasPrefix(fullText, st) {
		t.Errorf("truncated answer %q is not a prefix of the full one", st)
	}

	words := strings.Fields(fullText)
	stop := words[len(words)/2]
	cut, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(haiku), Messages: msgs,
		InferenceConfig: &types.InferenceConfiguration{StopSequences: []string{"zzz-never", stop}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cut.StopReason != types.StopReasonStopSequence {
		t.Errorf("stopReason %q, want stop_sequence", cut.StopReason)
	}
	want := fullText[:strings.Index(fullText, stop)]
	if got := textOf(t, cut); got != want {
		t.Errorf("stopped answer:\n got %q\nwant %q", got, want)
	}
}

// The seed's streaming example: text deltas between messageStart and
// messageStop, metadata last, and the same answer and usage as Converse.
func TestConverseStreamEventOrder(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	msgs := []types.Message{userText("Write a short poem about the sea")}
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	var kinds []string
	var text strings.Builder
	var usage *types.TokenUsage
	var stop types.StopReason
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			kinds = append(kinds, "messageStart")
			if v.Value.Role != types.ConversationRoleAssistant {
				t.Errorf("messageStart role %q", v.Value.Role)
			}
		case *types.ConverseStreamOutputMemberContentBlockStart:
			kinds = append(kinds, "contentBlockStart")
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			if len(kinds) == 0 || kinds[len(kinds)-1] != "contentBlockDelta" {
				kinds = append(kinds, "contentBlockDelta")
			}
			if *v.Value.ContentBlockIndex != 0 {
				t.Errorf("delta for block %d, want 0", *v.Value.ContentBlockIndex)
			}
			d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText)
			if !ok {
				t.Fatalf("delta %T, want text", v.Value.Delta)
			}
			text.WriteString(d.Value)
		case *types.ConverseStreamOutputMemberContentBlockStop:
			kinds = append(kinds, "contentBlockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			kinds = append(kinds, "messageStop")
			stop = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			kinds = append(kinds, "metadata")
			usage = v.Value.Usage
			if v.Value.Metrics == nil || v.Value.Metrics.LatencyMs == nil {
				t.Error("metadata without latencyMs")
			}
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	wantKinds := []string{"messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("event order (-want +got):\n%s", diff)
	}
	if stop != types.StopReasonEndTurn {
		t.Errorf("stopReason %q", stop)
	}
	checkUsage(t, usage)

	conv, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(textOf(t, conv), text.String()); diff != "" {
		t.Errorf("streamed text differs from Converse (-converse +stream):\n%s", diff)
	}
	if diff := cmp.Diff(*conv.Usage, *usage, cmp.AllowUnexported(types.TokenUsage{})); diff != "" {
		t.Errorf("stream usage differs from Converse (-converse +stream):\n%s", diff)
	}
}

// Model IDs with ':' and ARNs with '/' arrive percent-encoded and must reach
// the router whole.
func TestModelIDsWithColonsAndSlashes(t *testing.T) {
	rec := &recorder{}
	endpoint := start(t, func(r server.Router) server.Router { rec.Router = r; return rec })
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	for _, id := range []string{
		haiku,
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
	} {
		t.Run(id, func(t *testing.T) {
			_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: []types.Message{userText("hi there")}})
			if err != nil {
				t.Fatal(err)
			}
			if got := rec.last(); got != id {
				t.Errorf("router saw model %q, want %q", got, id)
			}
			out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(id), Messages: []types.Message{userText("hi there")}})
			if err != nil {
				t.Fatal(err)
			}
			for range out.GetStream().Events() {
			}
			if err := out.GetStream().Err(); err != nil {
				t.Fatal(err)
			}
			if got := rec.last(); got != id {
				t.Errorf("stream: router saw model %q, want %q", got, id)
			}
		})
	}
}

// Every exception reaches the SDK as its typed error, from Converse, from
// ConverseStream before the stream starts, and (for the five a stream can
// carry) from inside the stream.
func TestErrorsReachSDKTyped(t *testing.T) {
	cases := []struct {
		ex       *wire.Exception
		as       func(error) bool
		inStream func(error) bool // nil: travels as another exception
	}{
		{wire.Errorf(wire.ValidationException, "bad"), isType[*types.ValidationException], isType[*types.ValidationException]},
		{wire.Errorf(wire.AccessDeniedException, "no"), isType[*types.AccessDeniedException], nil},
		{wire.Errorf(wire.ResourceNotFoundException, "gone"), isType[*types.ResourceNotFoundException], nil},
		{wire.Errorf(wire.ThrottlingException, "slow down"), isType[*types.ThrottlingException], isType[*types.ThrottlingException]},
		{wire.Errorf(wire.ModelTimeoutException, "late"), isType[*types.ModelTimeoutException], isType[*types.ModelStreamErrorException]},
		{wire.Errorf(wire.ModelNotReadyException, "warming"), isType[*types.ModelNotReadyException], isType[*types.ModelStreamErrorException]},
		{&wire.Exception{Type: wire.ModelErrorException, Message: "boom", OriginalStatusCode: 500, ResourceName: "m"}, isType[*types.ModelErrorException], isType[*types.ModelStreamErrorException]},
		{wire.Errorf(wire.InternalServerException, "oops"), isType[*types.InternalServerException], isType[*types.InternalServerException]},
		{wire.Errorf(wire.ServiceUnavailableException, "down"), isType[*types.ServiceUnavailableException], isType[*types.ServiceUnavailableException]},
		{&wire.Exception{Type: wire.ModelStreamErrorException, Message: "cut", OriginalStatusCode: 502}, isType[*types.ModelStreamErrorException], isType[*types.ModelStreamErrorException]},
	}
	for _, tc := range cases {
		t.Run(tc.ex.Type, func(t *testing.T) {
			endpoint := start(t, func(server.Router) server.Router { return servertest.Failing{Err: tc.ex} })
			client := sdktest.Client(t, endpoint, sdktest.Options{})
			in := []types.Message{userText("hello")}
			_, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: in})
			if !tc.as(err) {
				t.Errorf("Converse error %T %v, want %s", err, err, tc.ex.Type)
			}
			if err != nil && !strings.Contains(err.Error(), tc.ex.Message) {
				t.Errorf("message lost: %v", err)
			}
			_, err = client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: in})
			if !tc.as(err) {
				t.Errorf("ConverseStream error %T %v, want %s", err, err, tc.ex.Type)
			}

			mid := start(t, func(server.Router) server.Router { return servertest.Failing{Err: tc.ex, MidStream: true} })
			client = sdktest.Client(t, mid, sdktest.Options{})
			out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: in})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for range out.GetStream().Events() {
				n++
			}
			err = out.GetStream().Err()
			want := tc.inStream
			if want == nil {
				want = isType[*types.ValidationException]
			}
			if n != 1 || !want(err) {
				t.Errorf("mid-stream: %d events then %T %v", n, err, err)
			}
		})
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// Requests no operation matches get UnknownOperationException, with a
// request ID, whatever the method.
func TestUnknownRoutes(t *testing.T) {
	endpoint := start(t, nil)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/model/" + haiku + "/converse"},
		{"POST", "/model/x/conversation"},
		{"POST", "/"},
		{"DELETE", "/model/x/converse-stream"},
		{"POST", "/foundation-models"},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, endpoint+tc.path, strings.NewReader("{}"))
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("X-Amzn-ErrorType"), "UnknownOperationException") {
			t.Errorf("%s %s: %d %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
		}
		if resp.Header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("%s %s: no request ID", tc.method, tc.path)
		}
	}
}
