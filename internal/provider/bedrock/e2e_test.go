package bedrock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/catalog"
	"github.com/conversekit/converse/internal/invoke"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/bedrock"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/server"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// The topology of these tests:
//
//	official Go SDK ──SigV4 (test/test)──▶ front converse ─▶ router ─▶ bedrock provider
//	    ──SigV4 (hopKey/hopSecret)──▶ upstream converse ("AWS") ─▶ router ─▶ built-in model
//
// Both hops verify real signatures with internal/auth.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	haiku     = "anthropic.claude-3-haiku-20240307-v1:0"
	hopKey    = "AKIDCONVERSEHOP"
	hopSecret = "hop-secret-value"
	hopName   = "front-hop"
)

func counter(t testing.TB) *tokens.Counter { return servertest.Tokens(t) }

// newRouter routes every catalogue model to p.
func newRouter(t testing.TB, p provider.Provider) server.Router {
	t.Helper()
	rt, err := router.New(router.Options{Backends: map[string]provider.Provider{"default": p}, Default: "default", Tokens: counter(t), Catalog: catalog.New()})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// serve runs a converse server answering through r on a loopback port, as
// `converse serve` does, and returns its endpoint.
func serve(t testing.TB, r server.Router, ao auth.Options) string {
	t.Helper()
	return servertest.Start(t, servertest.Options{Auth: &ao, Wrap: func(server.Router) server.Router { return r }})
}

// upstreamAuth is "AWS": one principal whose access key the bedrock
// provider signs with.
func upstreamAuth() auth.Options {
	return auth.Options{
		Principals: []auth.Principal{{Name: hopName, Models: []string{"*"}}},
		AccessKeys: []auth.AccessKey{{ID: hopKey, Secret: hopSecret, Principal: hopName}},
	}
}

// recorder wraps a router and remembers the calls that reached it.
type recorder struct {
	server.Router
	mu      sync.Mutex
	calls   []provider.Call
	headers []invoke.Headers // of InvokeModel calls
}

func (r *recorder) note(c *provider.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, provider.Call{ModelID: c.ModelID, Raw: append([]byte(nil), c.Raw...), Principal: c.Principal})
}

func (r *recorder) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	r.note(c)
	return r.Router.Converse(ctx, c)
}

func (r *recorder) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	r.note(c)
	return r.Router.ConverseStream(ctx, c)
}

func (r *recorder) CountTokens(ctx context.Context, modelID string, in *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	r.note(&provider.Call{ModelID: modelID})
	return r.Router.CountTokens(ctx, modelID, in)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) last(t *testing.T) provider.Call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		t.Fatal("no call reached the router")
	}
	return r.calls[len(r.calls)-1]
}

// httpClient is an outbound client of the test's own, closed at the end so
// goleak sees no idle connections.
func httpClient(t testing.TB) *http.Client {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// newProvider returns a bedrock provider calling endpoint with the hop key.
func newProvider(t testing.TB, endpoint string, edit func(*bedrock.Options)) *bedrock.Provider {
	t.Helper()
	o := bedrock.Options{
		Region:      "us-east-1",
		Endpoint:    endpoint,
		Credentials: credentials.NewStaticCredentialsProvider(hopKey, hopSecret, ""),
		HTTPClient:  httpClient(t),
		Name:        "aws-test",
	}
	if edit != nil {
		edit(&o)
	}
	p, err := bedrock.New(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// chain is one two-hop setup.
type chain struct {
	up, front       *recorder
	upURL, frontURL string
	direct, outer   *bedrockruntime.Client // the SDK against the upstream, and against the front
}

// newChain starts "AWS" answering with upRouter (the built-in model when
// nil), and a front converse whose default backend is a bedrock provider
// pointing at it.
func newChain(t *testing.T, upRouter server.Router, edit func(*bedrock.Options)) *chain {
	t.Helper()
	if upRouter == nil {
		upRouter = newRouter(t, builtin.New(builtin.Options{Tokens: counter(t)}))
	}
	c := &chain{up: &recorder{Router: upRouter}}
	c.upURL = serve(t, c.up, upstreamAuth())
	c.front = &recorder{Router: newRouter(t, newProvider(t, c.upURL, edit))}
	c.frontURL = serve(t, c.front, auth.DevOptions())
	c.direct = sdktest.Client(t, c.upURL, sdktest.Options{AccessKeyID: hopKey, SecretAccessKey: hopSecret})
	c.outer = sdktest.Client(t, c.frontURL, sdktest.Options{})
	return c
}

// checkForwarded checks the upstream received the front's request bytes
// unchanged, for the same model, signed by the hop key.
func (c *chain) checkForwarded(t *testing.T, modelID string) {
	t.Helper()
	front, up := c.front.last(t), c.up.last(t)
	if up.ModelID != modelID || front.ModelID != modelID {
		t.Errorf("model IDs: front saw %q, upstream saw %q, want %q", front.ModelID, up.ModelID, modelID)
	}
	if string(front.Raw) != string(up.Raw) {
		t.Errorf("body changed on the way:\nfront:    %s\nupstream: %s", front.Raw, up.Raw)
	}
	if up.Principal != hopName {
		t.Errorf("upstream principal %q, want %q", up.Principal, hopName)
	}
}

func userText(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

// summary is a Converse answer in comparable form (latency left out: it
// differs between any two calls).
type summary struct {
	Text       string
	Tools      []toolUse
	StopReason types.StopReason
	Usage      [5]int32 // input, output, total, cache read, cache write
}

type toolUse struct {
	ID, Name string
	Input    any
}

func usageOf(u *types.TokenUsage) [5]int32 {
	if u == nil {
		return [5]int32{-1}
	}
	v := func(p *int32) int32 {
		if p == nil {
			return -1
		}
		return *p
	}
	return [5]int32{v(u.InputTokens), v(u.OutputTokens), v(u.TotalTokens), v(u.CacheReadInputTokens), v(u.CacheWriteInputTokens)}
}

func summarize(t *testing.T, out *bedrockruntime.ConverseOutput) summary {
	t.Helper()
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("output is %T, want a message", out.Output)
	}
	s := summary{StopReason: out.StopReason, Usage: usageOf(out.Usage)}
	for _, b := range msg.Value.Content {
		switch b := b.(type) {
		case *types.ContentBlockMemberText:
			s.Text += b.Value
		case *types.ContentBlockMemberToolUse:
			var in any
			if err := b.Value.Input.UnmarshalSmithyDocument(&in); err != nil {
				t.Fatal(err)
			}
			s.Tools = append(s.Tools, toolUse{aws.ToString(b.Value.ToolUseId), aws.ToString(b.Value.Name), in})
		default:
			t.Errorf("unexpected block %T", b)
		}
	}
	return s
}

var weatherTool = &types.ToolMemberToolSpec{Value: types.ToolSpecification{
	Name:        aws.String("get_weather"),
	Description: aws.String("Get the current weather for a city"),
	InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
		"type":       "object",
		"properties": map[string]any{"city": map[string]any{"type": "string"}},
		"required":   []any{"city"},
	})},
}}

func converseInputs() map[string]*bedrockruntime.ConverseInput {
	return map[string]*bedrockruntime.ConverseInput{
		"text": {
			ModelId:         aws.String(haiku),
			System:          []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}},
			Messages:        []types.Message{userText("Explain overfitting in machine learning")},
			InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(300), Temperature: aws.Float32(0.5)},
		},
		"tool use": {
			ModelId:    aws.String(haiku),
			Messages:   []types.Message{userText("What is the weather in Paris today?")},
			ToolConfig: &types.ToolConfiguration{Tools: []types.Tool{weatherTool}},
		},
	}
}

// Converse through the bedrock provider answers exactly as the upstream
// answers the same request directly, and the upstream receives the
// client's bytes.
func TestConverseMatchesUpstream(t *testing.T) {
	c := newChain(t, nil, nil)
	for name, in := range converseInputs() {
		t.Run(name, func(t *testing.T) {
			want, err := c.direct.Converse(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.outer.Converse(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			c.checkForwarded(t, haiku)
			w, g := summarize(t, want), summarize(t, got)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("answer through the provider differs from upstream (-upstream +provider):\n%s", diff)
			}
			if g.Usage[0] <= 0 || g.Usage[1] <= 0 {
				t.Errorf("usage %v", g.Usage)
			}
			if name == "tool use" && (len(g.Tools) != 1 || g.Tools[0].Name != "get_weather" || g.StopReason != types.StopReasonToolUse) {
				t.Errorf("want one get_weather call with stopReason tool_use, got %+v", g)
			}
		})
	}
}

// dumpStream reads a stream to its end and returns each event as "type
// json", without latencyMs.
func dumpStream(t *testing.T, out *bedrockruntime.ConverseStreamOutput) ([]string, error) {
	t.Helper()
	stream := out.GetStream()
	defer stream.Close()
	var dump []string
	for ev := range stream.Events() {
		if m, ok := ev.(*types.ConverseStreamOutputMemberMetadata); ok {
			if m.Value.Metrics == nil || m.Value.Metrics.LatencyMs == nil {
				t.Error("metadata without latencyMs")
			}
			m.Value.Metrics = nil
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, fmt.Sprintf("%T %s", ev, b))
	}
	return dump, stream.Err()
}

// Streams through the provider carry the upstream's events in the same
// order with the same content and usage.
func TestStreamMatchesUpstream(t *testing.T) {
	c := newChain(t, nil, nil)
	for name, conv := range converseInputs() {
		t.Run(name, func(t *testing.T) {
			in := &bedrockruntime.ConverseStreamInput{
				ModelId: conv.ModelId, System: conv.System, Messages: conv.Messages,
				InferenceConfig: conv.InferenceConfig, ToolConfig: conv.ToolConfig,
			}
			out, err := c.direct.ConverseStream(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := dumpStream(t, out)
			if err != nil {
				t.Fatal(err)
			}
			out, err = c.outer.ConverseStream(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := dumpStream(t, out)
			if err != nil {
				t.Fatal(err)
			}
			c.checkForwarded(t, haiku)
			if len(want) < 4 {
				t.Fatalf("upstream sent only %d events: %q", len(want), want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events through the provider differ (-upstream +provider):\n%s", diff)
			}
			last := got[len(got)-1]
			if !strings.HasPrefix(last, "*types.ConverseStreamOutputMemberMetadata") || !strings.Contains(last, `"InputTokens"`) {
				t.Errorf("last event %q, want metadata with usage", last)
			}
		})
	}
}

// Model IDs with ':' and ARNs with '/' reach the upstream whole, so the
// provider's escaping and the signature over the double-encoded path both
// verify there.
func TestModelIDsWithColonsAndSlashes(t *testing.T) {
	c := newChain(t, nil, nil)
	for _, id := range []string{
		haiku,
		"us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
		"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
	} {
		t.Run(id, func(t *testing.T) {
			msgs := []types.Message{userText("hi there")}
			if _, err := c.outer.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: msgs}); err != nil {
				t.Fatal(err)
			}
			c.checkForwarded(t, id)
			out, err := c.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(id), Messages: msgs})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := dumpStream(t, out); err != nil {
				t.Fatal(err)
			}
			c.checkForwarded(t, id)
		})
	}
}

// CountTokens is answered by the upstream, not counted offline.
func TestCountTokens(t *testing.T) {
	c := newChain(t, nil, nil)
	in := &bedrockruntime.CountTokensInput{
		ModelId: aws.String(haiku),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{
			Messages: []types.Message{userText("How many tokens is this sentence, roughly?")},
		}},
	}
	want, err := c.direct.CountTokens(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	before := c.up.count()
	got, err := c.outer.CountTokens(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if *got.InputTokens != *want.InputTokens || *got.InputTokens <= 0 {
		t.Errorf("CountTokens through the provider %d, upstream %d", *got.InputTokens, *want.InputTokens)
	}
	if c.up.count() != before+1 || c.up.last(t).ModelID != haiku {
		t.Errorf("the upstream was not asked to count: %d calls before, %d after", before, c.up.count())
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// Every exception the upstream sends reaches the outer SDK as the same
// typed error with the same message: from Converse, from ConverseStream
// before the stream starts, from CountTokens, and from inside the stream.
//
// AccessDeniedException is the exception: on the hop it refuses this
// server's own credentials, which is not the caller's fault (see
// TestWrongCredentials), so the caller gets a ServiceUnavailableException.
func TestUpstreamErrorsPassThrough(t *testing.T) {
	cases := []struct {
		ex       *wire.Exception
		as       func(error) bool
		inStream func(error) bool // what the upstream's exception frame is typed as
	}{
		{wire.Errorf(wire.ValidationException, "bad"), isType[*types.ValidationException], isType[*types.ValidationException]},
		{wire.Errorf(wire.AccessDeniedException, "refused this server's credentials"), isType[*types.ServiceUnavailableException], isType[*types.ValidationException]},
		{wire.Errorf(wire.ResourceNotFoundException, "gone"), isType[*types.ResourceNotFoundException], isType[*types.ValidationException]},
		{wire.Errorf(wire.ThrottlingException, "slow down"), isType[*types.ThrottlingException], isType[*types.ThrottlingException]},
		{wire.Errorf(wire.ModelTimeoutException, "late"), isType[*types.ModelTimeoutException], isType[*types.ModelStreamErrorException]},
		{wire.Errorf(wire.ModelNotReadyException, "warming"), isType[*types.ModelNotReadyException], isType[*types.ModelStreamErrorException]},
		{&wire.Exception{Type: wire.ModelErrorException, Message: "boom", OriginalStatusCode: 500, ResourceName: "arn:model"}, isType[*types.ModelErrorException], isType[*types.ModelStreamErrorException]},
		{wire.Errorf(wire.InternalServerException, "oops"), isType[*types.InternalServerException], isType[*types.InternalServerException]},
		{wire.Errorf(wire.ServiceUnavailableException, "down"), isType[*types.ServiceUnavailableException], isType[*types.ServiceUnavailableException]},
		{&wire.Exception{Type: wire.ModelStreamErrorException, Message: "cut", OriginalStatusCode: 502, OriginalMessage: "bad gateway"}, isType[*types.ModelStreamErrorException], isType[*types.ModelStreamErrorException]},
	}
	for _, tc := range cases {
		t.Run(tc.ex.Type, func(t *testing.T) {
			c := newChain(t, servertest.Failing{Err: tc.ex}, nil)
			in := []types.Message{userText("hello")}
			_, err := c.outer.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: in})
			if !tc.as(err) || !strings.Contains(fmt.Sprint(err), tc.ex.Message) {
				t.Errorf("Converse error %T %v, want %s %q", err, err, tc.ex.Type, tc.ex.Message)
			}
			if tc.ex.Type == wire.ModelErrorException {
				var me *types.ModelErrorException
				if errors.As(err, &me) && (aws.ToInt32(me.OriginalStatusCode) != 500 || aws.ToString(me.ResourceName) != "arn:model") {
					t.Errorf("424 members lost: status %d, resource %q", aws.ToInt32(me.OriginalStatusCode), aws.ToString(me.ResourceName))
				}
			}
			_, err = c.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: in})
			if !tc.as(err) || !strings.Contains(fmt.Sprint(err), tc.ex.Message) {
				t.Errorf("ConverseStream error %T %v, want %s", err, err, tc.ex.Type)
			}
			_, err = c.outer.CountTokens(t.Context(), &bedrockruntime.CountTokensInput{ModelId: aws.String(haiku),
				Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: in}}})
			if !tc.as(err) {
				t.Errorf("CountTokens error %T %v, want %s", err, err, tc.ex.Type)
			}

			if tc.ex.Type == wire.AccessDeniedException {
				return // cannot travel inside a stream
			}
			mid := newChain(t, failingAfterContent{servertest.Failing{Err: tc.ex}}, nil)
			out, err := mid.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: in})
			if err != nil {
				t.Fatal(err)
			}
			events, err := dumpStream(t, out)
			if len(events) != 2 || !tc.inStream(err) || !strings.Contains(fmt.Sprint(err), tc.ex.Message) {
				t.Errorf("mid-stream: events %q then %T %v", events, err, err)
			}
			if tc.ex.Type == wire.ModelStreamErrorException {
				var se *types.ModelStreamErrorException
				if errors.As(err, &se) && (aws.ToInt32(se.OriginalStatusCode) != 502 || aws.ToString(se.OriginalMessage) != "bad gateway") {
					t.Errorf("in-stream 424 members lost: %d %q", aws.ToInt32(se.OriginalStatusCode), aws.ToString(se.OriginalMessage))
				}
			}
		})
	}
}

// failingAfterContent answers a stream with messageStart and some content,
// then its exception: an exception frame from inside a started answer.
type failingAfterContent struct{ servertest.Failing }

func (f failingAfterContent) ConverseStream(context.Context, *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) ||
			!yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("partial")}}}, nil) {
			return
		}
		yield(nil, f.Err)
	}
}

// An exception frame before any content reaches the client as an ordinary
// error response (which the SDK retries and the router can fall back on),
// not after a messageStart it had to hold back.
func TestExceptionBeforeContent(t *testing.T) {
	c := newChain(t, servertest.Failing{Err: wire.Errorf(wire.ThrottlingException, "slow down"), MidStream: true}, nil)
	_, err := c.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")}})
	if !isType[*types.ThrottlingException](err) {
		t.Errorf("ConverseStream error %T %v, want ThrottlingException before the stream", err, err)
	}
}

// Wrong credentials on the hop are refused by the upstream's verifier. They
// are this server's own credentials, not the caller's: the caller gets a
// ServiceUnavailableException (never InvalidSignatureException or
// UnrecognizedClientException, which would tell them their own signature
// is wrong), and the operator a warning naming the backend and the
// upstream's status and error.
func TestWrongCredentials(t *testing.T) {
	for _, tc := range []struct {
		name, key, secret, upstreamCode string
	}{
		{"wrong secret", hopKey, "not-the-secret", wire.InvalidSignatureException},
		{"unknown key", "AKIDNOBODY", hopSecret, wire.UnrecognizedClientException},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs servertest.Buffer
			c := newChain(t, nil, func(o *bedrock.Options) {
				o.Credentials = credentials.NewStaticCredentialsProvider(tc.key, tc.secret, "")
				o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			})
			in := []types.Message{userText("hello")}
			_, err := c.outer.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: in})
			checkCode(t, "Converse", err, wire.ServiceUnavailableException, http.StatusServiceUnavailable)
			_, err = c.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: in})
			checkCode(t, "ConverseStream", err, wire.ServiceUnavailableException, http.StatusServiceUnavailable)
			_, err = c.outer.CountTokens(t.Context(), &bedrockruntime.CountTokensInput{ModelId: aws.String(haiku),
				Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: in}}})
			checkCode(t, "CountTokens", err, wire.ServiceUnavailableException, http.StatusServiceUnavailable)
			if c.up.count() != 0 {
				t.Errorf("%d calls reached the upstream router unauthenticated", c.up.count())
			}
			for _, want := range []string{"level=WARN", "backend=aws-test", "status=403", "error=" + tc.upstreamCode} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
			}
		})
	}
}

func checkCode(t *testing.T, op string, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: error %T %v, want code %s", op, err, err, code)
		return
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP %d, want %d", op, re.HTTPStatusCode(), status)
	}
}

// blocking is an upstream that starts answering and then waits for its
// caller to go away; released is closed once its request context ended,
// which happens only when the provider closed the upstream connection.
type blocking struct {
	started, released chan struct{}
	once, startOnce   sync.Once
}

func newBlocking() *blocking {
	return &blocking{started: make(chan struct{}), released: make(chan struct{})}
}

func (b *blocking) wait(ctx context.Context) {
	b.startOnce.Do(func() { close(b.started) })
	<-ctx.Done()
	b.once.Do(func() { close(b.released) })
}

func (b *blocking) ModelForms(modelID string) []string { return []string{modelID} }

func (b *blocking) Converse(ctx context.Context, _ *provider.Call) (*wire.ConverseResponse, error) {
	b.wait(ctx)
	return nil, wire.Errorf(wire.InternalServerException, "caller left")
}

func (b *blocking) ConverseStream(ctx context.Context, _ *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		defer b.wait(ctx)
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("partial")}}}, nil) {
			return
		}
		b.wait(ctx)
		yield(nil, wire.Errorf(wire.InternalServerException, "caller left"))
	}
}

func (b *blocking) CountTokens(ctx context.Context, _ string, _ *wire.CountTokensInput) (*wire.CountTokensResponse, error) {
	b.wait(ctx)
	return nil, wire.Errorf(wire.InternalServerException, "caller left")
}

// released waits for the upstream to see its request end. The fail-safe
// only keeps a broken build from hanging until the test binary's timeout.
func (b *blocking) checkReleased(t *testing.T) {
	t.Helper()
	select {
	case <-b.released:
	case <-time.After(30 * time.Second):
		t.Fatal("the upstream request is still open")
	}
}

func testCall(t testing.TB) *provider.Call {
	t.Helper()
	raw := []byte(`{"messages":[{"role":"user","content":[{"text":"hello"}]}]}`)
	var req wire.ConverseRequest
	if err := wire.Decode(raw, &req); err != nil {
		t.Fatal(err)
	}
	return &provider.Call{ModelID: haiku, UpstreamModel: haiku, Request: &req, Raw: raw}
}

// Breaking out of the stream closes the upstream connection: the upstream
// sees its request end (goleak in TestMain checks nothing is left running).
func TestEarlyBreakClosesUpstream(t *testing.T) {
	b := newBlocking()
	p := newProvider(t, serve(t, b, upstreamAuth()), nil)
	n := 0
	for ev, err := range p.ConverseStream(t.Context(), testCall(t)) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.MessageStart == nil {
			t.Fatalf("first event %q, want messageStart", ev.EventType())
		}
		n++
		break
	}
	if n != 1 {
		t.Fatalf("%d events", n)
	}
	b.checkReleased(t)
}

// Cancelling the caller's context aborts the upstream request, mid-stream
// and while waiting for a Converse answer.
func TestCancelAbortsUpstream(t *testing.T) {
	t.Run("stream", func(t *testing.T) {
		b := newBlocking()
		p := newProvider(t, serve(t, b, upstreamAuth()), nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var kinds []string
		var last error
		for ev, err := range p.ConverseStream(ctx, testCall(t)) {
			if err != nil {
				last = err
				break
			}
			kinds = append(kinds, ev.EventType())
			if len(kinds) == 2 {
				cancel()
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Errorf("after %v: error %v, want context.Canceled", kinds, last)
		}
		b.checkReleased(t)
	})
	t.Run("converse", func(t *testing.T) {
		b := newBlocking()
		p := newProvider(t, serve(t, b, upstreamAuth()), nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go func() {
			<-b.started
			cancel()
		}()
		_, err := p.Converse(ctx, testCall(t))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		b.checkReleased(t)
	})
}

// A client of the front that closes its stream early ends the upstream
// request too, across both hops.
func TestOuterCloseReachesUpstream(t *testing.T) {
	b := newBlocking()
	c := newChain(t, b, nil)
	out, err := c.outer.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	if _, ok := (<-stream.Events()).(*types.ConverseStreamOutputMemberMessageStart); !ok {
		t.Fatal("first event is not messageStart")
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	b.checkReleased(t)
}

// An upstream that stops answering is a ModelTimeoutException naming the
// backend, before and during a stream.
func TestTimeout(t *testing.T) {
	b := newBlocking()
	p := newProvider(t, serve(t, b, upstreamAuth()), func(o *bedrock.Options) {
		o.Timeout, o.IdleTimeout = 200*time.Millisecond, 200*time.Millisecond
	})
	_, err := p.Converse(t.Context(), testCall(t))
	checkException(t, "Converse", err, wire.ModelTimeoutException, `"aws-test"`)
	_, err = p.CountTokens(t.Context(), haiku, countInput(t))
	checkException(t, "CountTokens", err, wire.ModelTimeoutException, `"aws-test"`)
	var kinds []string
	for ev, err := range p.ConverseStream(t.Context(), testCall(t)) {
		if err != nil {
			checkException(t, "ConverseStream", err, wire.ModelTimeoutException, `"aws-test"`)
			break
		}
		kinds = append(kinds, ev.EventType())
	}
	if diff := cmp.Diff([]string{"messageStart", "contentBlockDelta"}, kinds); diff != "" {
		t.Errorf("events before the timeout (-want +got):\n%s", diff)
	}
}

func checkException(t *testing.T, op string, err error, typ, inMessage string) {
	t.Helper()
	var ex *wire.Exception
	if !errors.As(err, &ex) || ex.Type != typ || !strings.Contains(ex.Message, inMessage) {
		t.Errorf("%s: error %T %v, want %s mentioning %s", op, err, err, typ, inMessage)
	}
}

// A backend nobody listens on is a ServiceUnavailableException naming it.
func TestRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + ln.Addr().String()
	ln.Close()
	p := newProvider(t, endpoint, nil)
	_, err = p.Converse(t.Context(), testCall(t))
	checkException(t, "Converse", err, wire.ServiceUnavailableException, `"aws-test"`)
	_, err = p.CountTokens(t.Context(), haiku, countInput(t))
	checkException(t, "CountTokens", err, wire.ServiceUnavailableException, `"aws-test"`)
	n := 0
	for _, err := range p.ConverseStream(t.Context(), testCall(t)) {
		n++
		checkException(t, "ConverseStream", err, wire.ServiceUnavailableException, `"aws-test"`)
	}
	if n != 1 {
		t.Errorf("stream yielded %d times, want one error", n)
	}
	// The same failure reaches a client of the front as the typed error.
	front := sdktest.Client(t, serve(t, newRouter(t, p), auth.DevOptions()), sdktest.Options{})
	_, err = front.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{userText("hello")}})
	if !isType[*types.ServiceUnavailableException](err) {
		t.Errorf("SDK error %T %v, want ServiceUnavailableException", err, err)
	}
}

func countInput(t testing.TB) *wire.CountTokensInput {
	return &wire.CountTokensInput{Converse: &wire.ConverseTokensRequest{Messages: testCall(t).Request.Messages}}
}
