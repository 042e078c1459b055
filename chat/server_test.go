package chat_test

import (
	"context"
	"encoding/json"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

const (
	haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	nova  = "amazon.nova-lite-v1:0"
)

func counter(t testing.TB) *tokens.Counter { return servertest.Tokens(t) }

func builtinModel(t testing.TB) provider.Provider {
	return builtin.New(builtin.Options{Tokens: counter(t)})
}

// start runs a converse server answering every model with p on a loopback
// port, as `converse serve` does, and returns its endpoint.
func start(t testing.TB, p provider.Provider) string {
	t.Helper()
	return servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"test": p}, Default: "test"})
}

// testSettings reach a test server with the development key.
func testSettings(endpoint string) chat.Settings {
	return chat.Settings{Endpoint: endpoint, AccessKey: "test", SecretKey: "test"}
}

// noDelay is a retry backoff of zero, so that retry tests never wait.
var noDelay = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

// newClient builds a chat client for a test server; retries do not back
// off.
func newClient(t testing.TB, endpoint string, opts ...chat.ClientOption) *chat.Client {
	t.Helper()
	all := append([]chat.ClientOption{
		chat.WithSettings(testSettings(endpoint)),
		chat.WithRetry(chat.Retry{MaxAttempts: 3, Backoff: noDelay}),
		chat.WithOptions(chat.Options{Model: haiku}),
	}, opts...)
	c, err := chat.New(t.Context(), all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// script is a test provider: each call's answer comes from a function of
// the call number (from 1) and the request, and every request is kept.
type script struct {
	mu   sync.Mutex
	reqs []*wire.ConverseRequest
	// answer returns the response (or error) for call n.
	answer func(ctx context.Context, n int, req *wire.ConverseRequest) (*wire.ConverseResponse, error)
	// stream, when set, replaces the events derived from answer.
	stream func(ctx context.Context, n int, req *wire.ConverseRequest) iter.Seq2[*wire.StreamEvent, error]
	// ownCache keeps the cache usage answer reports; otherwise the
	// router accounts for cache points itself.
	ownCache bool
}

func (s *script) ReportsCacheUsage() bool { return s.ownCache }

func (s *script) record(req *wire.ConverseRequest) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	return len(s.reqs)
}

func (s *script) requests() []*wire.ConverseRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*wire.ConverseRequest(nil), s.reqs...)
}

func (s *script) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	n := s.record(c.Request)
	return s.answer(ctx, n, c.Request)
}

func (s *script) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	n := s.record(c.Request)
	if s.stream != nil {
		return s.stream(ctx, n, c.Request)
	}
	return func(yield func(*wire.StreamEvent, error) bool) {
		resp, err := s.answer(ctx, n, c.Request)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, ev := range events(resp) {
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// events turns a response into Bedrock's stream: tool inputs split over
// two deltas (none for an empty input), text in two pieces.
func events(resp *wire.ConverseResponse) []*wire.StreamEvent {
	evs := []*wire.StreamEvent{{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}}
	for i, b := range resp.Output.Message.Content {
		switch {
		case b.Text != nil:
			s := *b.Text
			half := len(s) / 2
			for _, piece := range []string{s[:half], s[half:]} {
				evs = append(evs, &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: &wire.ContentBlockDelta{Text: wire.Ptr(piece)}}})
			}
		case b.ToolUse != nil:
			evs = append(evs, &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: i, Start: &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: b.ToolUse.ToolUseID, Name: b.ToolUse.Name}}}})
			in := string(b.ToolUse.Input)
			if in != "" && in != "{}" {
				half := len(in) / 2
				for _, piece := range []string{in[:half], in[half:]} {
					evs = append(evs, &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: piece}}}})
				}
			}
		}
		evs = append(evs, &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: i}})
	}
	evs = append(evs,
		&wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: resp.StopReason}},
		&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{Usage: resp.Usage, Metrics: &wire.ConverseStreamMetrics{LatencyMs: 1}}})
	return evs
}

// textAnswer is a final answer with usage.
func textAnswer(text string) *wire.ConverseResponse {
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{{Text: wire.Ptr(text)}}}},
		StopReason: wire.StopReasonEndTurn,
		Usage:      &wire.TokenUsage{InputTokens: 10, OutputTokens: 5, TotalTokens: 15},
		Metrics:    &wire.ConverseMetrics{LatencyMs: 1},
	}
}

// toolUse is one toolUse block of a scripted answer.
type toolUse struct {
	id, name string
	input    any // nil: no input
}

func toolAnswer(calls ...toolUse) *wire.ConverseResponse {
	msg := &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{{Text: wire.Ptr("Let me check.")}}}
	for _, c := range calls {
		in := wire.Document("{}")
		if c.input != nil {
			raw, _ := json.Marshal(c.input)
			in = raw
		}
		msg.Content = append(msg.Content, wire.ContentBlock{ToolUse: &wire.ToolUseBlock{ToolUseID: c.id, Name: c.name, Input: in}})
	}
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: msg},
		StopReason: wire.StopReasonToolUse,
		Usage:      &wire.TokenUsage{InputTokens: 20, OutputTokens: 8, TotalTokens: 28},
		Metrics:    &wire.ConverseMetrics{LatencyMs: 1},
	}
}

// recording wraps a provider and keeps its requests.
type recording struct {
	provider.Provider
	mu   sync.Mutex
	reqs []*wire.ConverseRequest
}

func (r *recording) keep(req *wire.ConverseRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
}

func (r *recording) last(t testing.TB) *wire.ConverseRequest {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("no request reached the provider")
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recording) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func (r *recording) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	r.keep(c.Request)
	return r.Provider.Converse(ctx, c)
}

func (r *recording) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	r.keep(c.Request)
	return r.Provider.ConverseStream(ctx, c)
}

// asJSON renders a value for comparisons of request shapes.
func asJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
