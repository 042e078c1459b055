package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// Exception is the Bedrock exception a model behind Bedrock raises for an
// upstream status, as Bedrock documents them: 400 ValidationException, 429
// ThrottlingException, 503 ServiceUnavailableException, other 5xx a
// ModelErrorException carrying the model's status.
func Exception(f Failure) *wire.Exception {
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("The model answered HTTP %d %s.", f.Status, http.StatusText(f.Status))
	}
	ex := &wire.Exception{Message: msg}
	switch s := f.Status; {
	case s == http.StatusBadRequest:
		ex.Type = wire.ValidationException
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		ex.Type = wire.AccessDeniedException
	case s == http.StatusNotFound:
		ex.Type = wire.ResourceNotFoundException
	case s == http.StatusRequestTimeout:
		ex.Type = wire.ModelTimeoutException
	case s == http.StatusTooManyRequests:
		ex.Type = wire.ThrottlingException
	case s == http.StatusServiceUnavailable:
		ex.Type = wire.ServiceUnavailableException
	default:
		ex.Type, ex.OriginalStatusCode, ex.OriginalMessage = wire.ModelErrorException, s, msg
	}
	return ex
}

// Model is a scripted provider answering every call with one Reply as
// Bedrock would: the reference the suite is checked against, and the model
// behind an upstream converse when testing the bedrock provider.
type Model struct {
	reply    Reply
	mu       sync.Mutex
	received []Received
	once     sync.Once
	released chan struct{}
}

var (
	_ provider.Provider      = (*Model)(nil)
	_ provider.CacheReporter = (*Model)(nil)
)

// ReportsCacheUsage reports that the model's usage carries its own cache
// reads and writes, as Bedrock's does.
func (m *Model) ReportsCacheUsage() bool { return true }

// NewModel returns a model answering every call with r.
func NewModel(r Reply) *Model {
	return &Model{reply: r, released: make(chan struct{})}
}

// Received returns what each call so far carried.
func (m *Model) Received() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.received...)
}

// Released is closed when a stalled stream ended.
func (m *Model) Released() <-chan struct{} { return m.released }

func (m *Model) note(req *wire.ConverseRequest, stream bool) {
	r := Received{Stream: stream}
	if req.ToolConfig != nil {
		for _, t := range req.ToolConfig.Tools {
			if t.ToolSpec != nil {
				r.Tools = append(r.Tools, t.ToolSpec.Name)
			}
			if t.CachePoint != nil {
				r.CachePoints++
			}
		}
	}
	for _, s := range req.System {
		if s.CachePoint != nil {
			r.CachePoints++
		}
	}
	for _, msg := range req.Messages {
		for _, b := range msg.Content {
			switch {
			case b.Text != nil && msg.Role == wire.ConversationRoleUser:
				r.UserTexts = append(r.UserTexts, *b.Text)
			case b.Image != nil:
				r.Images++
			case b.Document != nil && msg.Role == wire.ConversationRoleUser:
				d := Document{Name: b.Document.Name}
				if src := b.Document.Source; src != nil && b.Document.Format == wire.DocumentFormatPdf {
					d.PDF = src.Bytes
				} else if src != nil && src.Text != nil {
					d.Text = *src.Text
				} else if src != nil {
					d.Text = string(src.Bytes)
				}
				r.Documents = append(r.Documents, d)
			case b.CachePoint != nil:
				r.CachePoints++
			case b.ToolUse != nil:
				r.ToolUses = append(r.ToolUses, b.ToolUse.ToolUseID)
			case b.ToolResult != nil:
				r.ToolResults = append(r.ToolResults, b.ToolResult.ToolUseID)
			}
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.received = append(m.received, r)
}

func (m *Model) usage() *wire.TokenUsage {
	u := m.reply.Tokens()
	tu := &wire.TokenUsage{InputTokens: u.Input, OutputTokens: u.Output, TotalTokens: u.prompt() + u.Output}
	if u.CacheRead > 0 || u.CacheWrite > 0 {
		tu.CacheReadInputTokens, tu.CacheWriteInputTokens = wire.Ptr(u.CacheRead), wire.Ptr(u.CacheWrite)
	}
	return tu
}

func (m *Model) stop() wire.StopReason {
	if len(m.reply.ToolCalls) > 0 {
		return wire.StopReasonToolUse
	}
	return wire.StopReasonEndTurn
}

// Converse answers with the reply in one piece.
func (m *Model) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	m.note(c.Request, false)
	if f := m.reply.Fail; f != nil {
		return nil, Exception(*f)
	}
	var content []wire.ContentBlock
	if m.reply.Reasoning != "" {
		content = append(content, wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
			ReasoningText: &wire.ReasoningTextBlock{Text: m.reply.Reasoning, Signature: m.reply.Signature}}})
	}
	if m.reply.Text != "" {
		content = append(content, text(m.reply.Text))
	}
	for _, tc := range m.reply.ToolCalls {
		content = append(content, wire.ContentBlock{ToolUse: &wire.ToolUseBlock{ToolUseID: tc.ID, Name: tc.Name, Input: InputJSON(tc)}})
	}
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: content}},
		StopReason: m.stop(),
		Usage:      m.usage(),
		Metrics:    &wire.ConverseMetrics{LatencyMs: 1},
	}, nil
}

// ConverseStream answers with the reply in word-sized text and reasoning
// deltas (then the reasoning's signature delta) and tool input in pieces of
// a few bytes. A reply that breaks off fails after the first text piece.
func (m *Model) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		m.note(c.Request, true)
		if f := m.reply.Fail; f != nil {
			yield(nil, Exception(*f))
			return
		}
		if m.reply.Stall {
			defer m.once.Do(func() { close(m.released) })
		}
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		idx := 0
		if m.reply.Reasoning != "" {
			deltas := []*wire.ReasoningContentBlockDelta{}
			for _, w := range Words(m.reply.Reasoning) {
				deltas = append(deltas, &wire.ReasoningContentBlockDelta{Text: wire.Ptr(w)})
			}
			if m.reply.Signature != "" {
				deltas = append(deltas, &wire.ReasoningContentBlockDelta{Signature: wire.Ptr(m.reply.Signature)})
			}
			for _, d := range deltas {
				if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: idx, Delta: &wire.ContentBlockDelta{ReasoningContent: d}}}, nil) {
					return
				}
			}
			if !yield(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: idx}}, nil) {
				return
			}
			idx++
		}
		if m.reply.Text != "" {
			for i, w := range Words(m.reply.Text) {
				if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: idx, Delta: &wire.ContentBlockDelta{Text: wire.Ptr(w)}}}, nil) {
					return
				}
				if f := m.reply.BreakOff; i == 0 && f != nil {
					yield(nil, Exception(*f))
					return
				}
				if i == 0 && m.reply.Stall {
					<-ctx.Done()
					return
				}
			}
			if !yield(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: idx}}, nil) {
				return
			}
			idx++
		}
		for _, tc := range m.reply.ToolCalls {
			if !yield(&wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{ContentBlockIndex: idx, Start: &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: tc.ID, Name: tc.Name}}}}, nil) {
				return
			}
			for _, piece := range Pieces(string(InputJSON(tc)), 5) {
				if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: idx, Delta: &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: piece}}}}, nil) {
					return
				}
			}
			if !yield(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: idx}}, nil) {
				return
			}
			idx++
		}
		if !yield(&wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: m.stop()}}, nil) {
			return
		}
		yield(&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{Usage: m.usage(), Metrics: &wire.ConverseStreamMetrics{LatencyMs: 1}}}, nil)
	}
}

// InputJSON is a tool call's input as JSON; no arguments is {}.
func InputJSON(tc ToolCall) []byte {
	if len(tc.Input) == 0 {
		return []byte("{}")
	}
	b, err := json.Marshal(tc.Input)
	if err != nil {
		panic(fmt.Sprintf("providertest: tool %s input: %v", tc.Name, err)) // scenarios use plain JSON values
	}
	return b
}

// Words cuts text before each space, as models stream it; joined, the
// pieces give the text back.
func Words(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' && text[i-1] != ' ' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// Pieces cuts s into pieces of at most n bytes, as upstreams split tool
// arguments (not necessarily at rune or token boundaries).
func Pieces(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// redSquare is a valid 8×8 PNG.
func redSquare(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		for y := range 8 {
			img.Set(x, y, color.RGBA{R: 255, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dump(events []*wire.StreamEvent) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "%s %s\n", ev.EventType(), jsonOf(ev.Payload()))
	}
	return b.String()
}
