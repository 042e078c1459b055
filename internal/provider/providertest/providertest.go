// Package providertest is the scenario suite every model backend must pass:
// text, streamed text, tool calls (single, parallel, without arguments),
// a tool-result round trip, an image, upstream failures and a consumer that
// stops reading. Each provider's test implements Backend with a fake that
// speaks the backend's own wire format, and calls Run.
package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Reply is what the model answers, in backend-neutral terms. A backend's
// fake turns it into that backend's wire format.
type Reply struct {
	// Text is the answer's text; empty means none.
	Text string
	// ToolCalls follow the text, in order.
	ToolCalls []ToolCall
	// Usage is what the model reports; zero means a default (see Tokens).
	Usage Usage
	// Fail, when set, fails the call before anything is answered.
	Fail *Failure
	// Stall makes a stream stop after its first text piece and wait until
	// the caller goes away, which the backend reports on Session.Released.
	Stall bool
}

// ToolCall is one tool the model calls.
type ToolCall struct {
	ID    string
	Name  string
	Input map[string]any // nil and empty both mean no arguments: {}
}

// Usage is the token count the model reports.
type Usage struct {
	Input, Output int
}

// Tokens is the usage the model reports for r: r.Usage, or a default
// (25 input, 7 output tokens) when it is zero.
func (r Reply) Tokens() Usage {
	if r.Usage == (Usage{}) {
		return Usage{Input: 25, Output: 7}
	}
	return r.Usage
}

// Failure is an upstream failure, as the HTTP status the backend's API
// answers with.
type Failure struct {
	Status  int
	Message string // empty means a message of the fake's choosing
}

// Capability is something a backend's fake may or may not be able to do.
type Capability int

const (
	// FailByStatus: the fake can fail a call with Reply.Fail's status.
	FailByStatus Capability = iota
	// SeesRequests: Session.Received reports what the model was sent.
	SeesRequests
	// ObservesRelease: Session.Released is closed when a stalled stream's
	// request ends.
	ObservesRelease
)

// String names the capability, for skip messages.
func (c Capability) String() string {
	switch c {
	case FailByStatus:
		return "FailByStatus"
	case SeesRequests:
		return "SeesRequests"
	case ObservesRelease:
		return "ObservesRelease"
	}
	return fmt.Sprintf("Capability(%d)", int(c))
}

// Backend starts the provider under test with a model that answers every
// call with one Reply.
type Backend interface {
	// Start returns a session whose provider's model answers every call
	// with r. Everything it starts ends with the test.
	Start(t *testing.T, r Reply) *Session
	// Can reports whether the backend's fake has a capability; scenarios
	// that need one it lacks are skipped, saying so.
	Can(c Capability) bool
}

// Session is one started provider and what its fake observed.
type Session struct {
	Provider provider.Provider
	// Received returns what the model was sent, one entry per call so far;
	// nil unless the backend Can(SeesRequests).
	Received func() []Received
	// Released is closed when a stalled stream's upstream request ended;
	// nil unless the backend Can(ObservesRelease).
	Released <-chan struct{}
}

// Received is what one request carried to the model, in backend-neutral
// terms, as the fake decoded it from the backend's wire format.
type Received struct {
	Stream      bool
	UserTexts   []string // text of user turns, in order
	Images      int      // images in user turns
	ToolUses    []string // IDs of the assistant's earlier tool calls
	ToolResults []string // tool-use IDs the tool results answer
	Tools       []string // names of the tools offered
}

// ModelID is the model ID the suite's calls carry (and their upstream model).
const ModelID = "anthropic.claude-3-haiku-20240307-v1:0"

// Run runs every scenario against b, each as a subtest.
func Run(t *testing.T, b Backend) {
	t.Run("text", func(t *testing.T) { testText(t, b) })
	t.Run("single tool call", func(t *testing.T) {
		testTools(t, b, ToolCall{ID: "tooluse_weather01", Name: "get_weather", Input: map[string]any{"city": "Paris", "days": 3.0, "units": map[string]any{"temp": "celsius"}}})
	})
	t.Run("tool call without arguments", func(t *testing.T) {
		testTools(t, b, ToolCall{ID: "tooluse_time01", Name: "get_time"})
	})
	t.Run("two parallel tool calls", func(t *testing.T) {
		testTools(t, b,
			ToolCall{ID: "tooluse_weather02", Name: "get_weather", Input: map[string]any{"city": "Paris"}},
			ToolCall{ID: "tooluse_weather03", Name: "get_weather", Input: map[string]any{"city": "Tokyo"}})
	})
	t.Run("text then tool call", func(t *testing.T) {
		testToolsAfter(t, b, "Let me check the weather.", ToolCall{ID: "tooluse_weather04", Name: "get_weather", Input: map[string]any{"city": "Oslo"}})
	})
	t.Run("tool result round trip", func(t *testing.T) { testToolResult(t, b) })
	t.Run("image", func(t *testing.T) { testImage(t, b) })
	t.Run("errors", func(t *testing.T) { testErrors(t, b) })
	t.Run("break releases the backend", func(t *testing.T) { testBreak(t, b) })
}

// Answer is a response or a stream reduced to what both must agree on.
type Answer struct {
	Text       string
	ToolCalls  []ToolCall
	StopReason wire.StopReason
	Usage      wire.TokenUsage
}

// FromResponse reduces a Converse response; errors say what is malformed.
func FromResponse(out *wire.ConverseResponse) (Answer, error) {
	var a Answer
	if out == nil || out.Output == nil || out.Output.Message == nil {
		return a, errors.New("response has no output message")
	}
	if out.Output.Message.Role != wire.ConversationRoleAssistant {
		return a, fmt.Errorf("output role %q, want assistant", out.Output.Message.Role)
	}
	a.StopReason = out.StopReason
	if out.Usage == nil {
		return a, errors.New("response has no usage")
	}
	a.Usage = *out.Usage
	for i, b := range out.Output.Message.Content {
		switch {
		case b.Text != nil:
			a.Text += *b.Text
		case b.ToolUse != nil:
			tc, err := toolCall(b.ToolUse.ToolUseID, b.ToolUse.Name, []byte(b.ToolUse.Input))
			if err != nil {
				return a, fmt.Errorf("content block %d: %w", i, err)
			}
			a.ToolCalls = append(a.ToolCalls, tc)
		default:
			return a, fmt.Errorf("content block %d is neither text nor toolUse", i)
		}
	}
	return a, nil
}

// FromStream reduces a complete stream (which must keep CheckOrder);
// tool-use input deltas are joined and must form one JSON object per call.
func FromStream(events []*wire.StreamEvent) (Answer, error) {
	var a Answer
	if err := CheckOrder(events); err != nil {
		return a, err
	}
	type block struct {
		tool      *wire.ToolUseBlockStart
		text, arg strings.Builder
	}
	var blocks []*block
	for _, ev := range events {
		switch {
		case ev.ContentBlockStart != nil:
			b := &block{}
			if s := ev.ContentBlockStart.Start; s != nil {
				b.tool = s.ToolUse
			}
			blocks = append(blocks, b)
		case ev.ContentBlockDelta != nil:
			if len(blocks) <= ev.ContentBlockDelta.ContentBlockIndex {
				blocks = append(blocks, &block{})
			}
			b, d := blocks[ev.ContentBlockDelta.ContentBlockIndex], ev.ContentBlockDelta.Delta
			switch {
			case d.Text != nil && b.tool == nil:
				b.text.WriteString(*d.Text)
			case d.ToolUse != nil && b.tool != nil:
				b.arg.WriteString(d.ToolUse.Input)
			default:
				return a, fmt.Errorf("block %d: delta %s does not fit the block (toolUse start: %v)", ev.ContentBlockDelta.ContentBlockIndex, jsonOf(d), b.tool != nil)
			}
		case ev.MessageStop != nil:
			a.StopReason = ev.MessageStop.StopReason
		case ev.Metadata != nil:
			if ev.Metadata.Usage == nil {
				return a, errors.New("metadata has no usage")
			}
			a.Usage = *ev.Metadata.Usage
		}
	}
	for i, b := range blocks {
		if b.tool == nil {
			a.Text += b.text.String()
			continue
		}
		tc, err := toolCall(b.tool.ToolUseID, b.tool.Name, []byte(b.arg.String()))
		if err != nil {
			return a, fmt.Errorf("block %d: %w", i, err)
		}
		a.ToolCalls = append(a.ToolCalls, tc)
	}
	return a, nil
}

func toolCall(id, name string, input []byte) (ToolCall, error) {
	tc := ToolCall{ID: id, Name: name}
	if err := json.Unmarshal(input, &tc.Input); err != nil || tc.Input == nil {
		return tc, fmt.Errorf("tool %s input %q is not a JSON object", name, input)
	}
	return tc, nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// CheckUsage reports usage that does not add up: input and output must be
// positive and the total their sum plus any cache reads and writes.
func CheckUsage(u wire.TokenUsage) error {
	sum := u.InputTokens + u.OutputTokens
	if u.CacheReadInputTokens != nil {
		sum += *u.CacheReadInputTokens
	}
	if u.CacheWriteInputTokens != nil {
		sum += *u.CacheWriteInputTokens
	}
	switch {
	case u.InputTokens <= 0 || u.OutputTokens <= 0:
		return fmt.Errorf("usage %s: input and output tokens must be positive", jsonOf(u))
	case u.TotalTokens != sum:
		return fmt.Errorf("usage %s: totalTokens is not the sum %d", jsonOf(u), sum)
	}
	return nil
}

// call builds a provider call the way the server does: the decoded
// request and its bytes.
func call(t *testing.T, req *wire.ConverseRequest) *provider.Call {
	t.Helper()
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return &provider.Call{ModelID: ModelID, UpstreamModel: ModelID, Request: req, Raw: raw, Principal: "providertest"}
}

func user(blocks ...wire.ContentBlock) wire.Message {
	return wire.Message{Role: wire.ConversationRoleUser, Content: blocks}
}

func text(s string) wire.ContentBlock { return wire.ContentBlock{Text: wire.Ptr(s)} }

// tools is the tool configuration offered in the tool scenarios.
func tools() *wire.ToolConfiguration {
	spec := func(name, desc, schema string) wire.Tool {
		return wire.Tool{ToolSpec: &wire.ToolSpecification{Name: name, Description: desc,
			InputSchema: &wire.ToolInputSchema{JSON: wire.Document(schema)}}}
	}
	return &wire.ToolConfiguration{Tools: []wire.Tool{
		spec("get_weather", "Get the weather forecast for a city", `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"number"},"units":{"type":"object","properties":{"temp":{"type":"string"}}}},"required":["city"]}`),
		spec("get_time", "Get the current time", `{"type":"object","properties":{}}`),
	}}
}

// converse calls both Converse and ConverseStream with req and returns both
// answers, failing the test on an error or a malformed answer.
func converse(t *testing.T, p provider.Provider, req *wire.ConverseRequest) (whole, streamed Answer) {
	t.Helper()
	out, err := p.Converse(t.Context(), call(t, req))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	whole, err = FromResponse(out)
	if err != nil {
		t.Fatalf("Converse: %v\nresponse: %s", err, jsonOf(out))
	}
	events, err := collect(t.Context(), p, call(t, req))
	if err != nil {
		t.Fatalf("ConverseStream: %v after %d events:\n%s", err, len(events), dump(events))
	}
	streamed, err = FromStream(events)
	if err != nil {
		t.Fatalf("ConverseStream: %v\nevents:\n%s", err, dump(events))
	}
	return whole, streamed
}

func collect(ctx context.Context, p provider.Provider, c *provider.Call) ([]*wire.StreamEvent, error) {
	var events []*wire.StreamEvent
	for ev, err := range p.ConverseStream(ctx, c) {
		if err != nil {
			return events, err
		}
		events = append(events, ev)
	}
	return events, nil
}
