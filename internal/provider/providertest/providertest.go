// Package providertest is the scenario suite every model backend must pass:
// text, streamed text, tool calls (single, parallel, without arguments),
// a tool-result round trip, an image, a text document and a PDF, prompt
// caching, reasoning, upstream failures before and during a stream and a
// consumer that stops reading. Each provider's test implements Backend with a fake that
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
	// Reasoning, when set, is the model's reasoning, answered before the
	// text as one reasoning block.
	Reasoning string
	// Signature signs Reasoning where the backend signs reasoning (see
	// SignsReasoning); fakes of backends without signatures ignore it.
	Signature string
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
	// BreakOff, when set, makes a stream fail with it after its first text
	// piece, the way the backend reports a failure once the answer has
	// begun (an error event or chunk, an exception frame). Only streams
	// are called with such a reply.
	BreakOff *Failure
}

// ToolCall is one tool the model calls.
type ToolCall struct {
	ID    string
	Name  string
	Input map[string]any // nil and empty both mean no arguments: {}
}

// Usage is the token count the model reports. Input excludes the prompt
// tokens read from or written to the model's prompt cache, as Bedrock
// counts them; a fake whose wire format counts them differently (OpenAI's
// prompt_tokens includes cached tokens) converts.
type Usage struct {
	Input, Output         int
	CacheRead, CacheWrite int
}

// prompt is every prompt token, cached or not.
func (u Usage) prompt() int { return u.Input + u.CacheRead + u.CacheWrite }

// Tokens is the usage the model reports for r: r.Usage, or a default
// (25 input, 7 output tokens) when its input and output are zero.
func (r Reply) Tokens() Usage {
	if r.Usage.Input == 0 && r.Usage.Output == 0 {
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
	// ReadsPDF: the backend takes PDF documents. Without it, a PDF must be
	// refused with a ValidationException before anything reaches the model.
	ReadsPDF
	// ScriptsReasoning: the fake can answer with Reply.Reasoning.
	ScriptsReasoning
	// SignsReasoning: the backend's reasoning carries a signature
	// (Reply.Signature), sent in a stream as a signature delta after the
	// reasoning text.
	SignsReasoning
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
	case ReadsPDF:
		return "ReadsPDF"
	case ScriptsReasoning:
		return "ScriptsReasoning"
	case SignsReasoning:
		return "SignsReasoning"
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
	Documents   []Document
	// CachePoints counts the prompt-cache markers the model was sent
	// (Anthropic's cache_control, Bedrock's cachePoint blocks).
	CachePoints int
}

// Document is a document in a user turn as it reached the model.
type Document struct {
	Name string
	Text string // a text document's text
	PDF  []byte // a PDF document's bytes
}

// ModelID is the model ID the suite's calls carry (and their upstream
// model): a Claude that Bedrock lets use everything the scenarios send
// (tools, images, documents, cache points everywhere, reasoning).
const ModelID = "anthropic.claude-sonnet-4-20250514-v1:0"

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
	t.Run("text document", func(t *testing.T) { testTextDocument(t, b) })
	t.Run("pdf document", func(t *testing.T) { testPDF(t, b) })
	t.Run("prompt caching", func(t *testing.T) { testCaching(t, b) })
	t.Run("reasoning", func(t *testing.T) { testReasoning(t, b) })
	t.Run("errors", func(t *testing.T) { testErrors(t, b) })
	t.Run("failure mid-stream", func(t *testing.T) { testBreakOff(t, b) })
	t.Run("break releases the backend", func(t *testing.T) { testBreak(t, b) })
}

// Answer is a response or a stream reduced to what both must agree on.
type Answer struct {
	Reasoning  string
	Signature  string
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
		case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
			a.Reasoning += b.ReasoningContent.ReasoningText.Text
			a.Signature += b.ReasoningContent.ReasoningText.Signature
		case b.ToolUse != nil:
			tc, err := toolCall(b.ToolUse.ToolUseID, b.ToolUse.Name, []byte(b.ToolUse.Input))
			if err != nil {
				return a, fmt.Errorf("content block %d: %w", i, err)
			}
			a.ToolCalls = append(a.ToolCalls, tc)
		default:
			return a, fmt.Errorf("content block %d is neither text, reasoningText nor toolUse", i)
		}
	}
	return a, nil
}

// FromStream reduces a complete stream (which must keep CheckOrder);
// tool-use input deltas are joined and must form one JSON object per call.
// A block holds one kind of delta; in a reasoning block a signature comes
// once, after all of its text.
func FromStream(events []*wire.StreamEvent) (Answer, error) {
	var a Answer
	if err := CheckOrder(events); err != nil {
		return a, err
	}
	type block struct {
		tool            *wire.ToolUseBlockStart
		text, arg       strings.Builder
		reasoning       bool
		textN, thoughtN int
		signature       *string
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
			idx := ev.ContentBlockDelta.ContentBlockIndex
			switch rc := d.ReasoningContent; {
			case d.Text != nil && b.tool == nil && b.thoughtN == 0 && b.signature == nil:
				b.text.WriteString(*d.Text)
				b.textN++
			case d.ToolUse != nil && b.tool != nil:
				b.arg.WriteString(d.ToolUse.Input)
			case rc != nil && b.tool == nil && b.textN == 0 && rc.Text != nil && rc.Signature == nil:
				if b.signature != nil {
					return a, fmt.Errorf("block %d: reasoning text after the signature", idx)
				}
				b.reasoning = true
				b.thoughtN++
				b.text.WriteString(*rc.Text)
			case rc != nil && b.tool == nil && b.textN == 0 && rc.Signature != nil && rc.Text == nil:
				if b.signature != nil {
					return a, fmt.Errorf("block %d: a second signature", idx)
				}
				b.reasoning, b.signature = true, rc.Signature
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
		switch {
		case b.reasoning:
			a.Reasoning += b.text.String()
			if b.signature != nil {
				a.Signature += *b.signature
			}
			continue
		case b.tool == nil:
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
		return wire.Tool{ToolSpec: &wire.ToolSpecification{Name: name, Description: wire.Ptr(desc),
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
