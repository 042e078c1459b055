package invoke

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/conversekit/converse/internal/wire"
)

// MessagesResponse is a Messages API answer as Claude on Bedrock returns it.
type MessagesResponse struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Role         string        `json:"role"`
	Model        string        `json:"model"`
	Content      []ContentOut  `json:"content"`
	StopReason   *string       `json:"stop_reason"`
	StopSequence *string       `json:"stop_sequence"`
	Usage        MessagesUsage `json:"usage"`
}

// ContentOut is one content block of an answer.
type ContentOut struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
	Data      *string         `json:"data,omitempty"`
}

// MessagesUsage is the usage member of an answer and of message_delta.
type MessagesUsage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

func messagesUsage(u Usage) MessagesUsage {
	return MessagesUsage{InputTokens: u.InputTokens, CacheCreationInputTokens: u.CacheWriteInputTokens,
		CacheReadInputTokens: u.CacheReadInputTokens, OutputTokens: u.OutputTokens}
}

// MessageID returns a new message ID in the form Claude on Bedrock uses,
// "msg_bdrk_" and 24 base-58 characters.
func MessageID() string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	var b [24]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "msg_bdrk_" + string(b[:])
}

// stopReason maps Converse's stop reason to Anthropic's.
func stopReason(s wire.StopReason) string {
	switch s {
	case wire.StopReasonToolUse, wire.StopReasonMaxTokens, wire.StopReasonStopSequence, wire.StopReasonEndTurn:
		return string(s)
	case wire.StopReasonContentFiltered, wire.StopReasonGuardrailIntervened:
		return "refusal"
	case wire.StopReasonModelContextWindowExceeded:
		return "model_context_window_exceeded"
	}
	return "end_turn"
}

// stopSequence names the stop sequence that ended an answer. Converse does
// not say which one matched, so it is known only when there was one.
func (r *MessagesRequest) stopSequence(s wire.StopReason) *string {
	if s == wire.StopReasonStopSequence && len(r.StopSequences) == 1 {
		return &r.StopSequences[0]
	}
	return nil
}

// FromConverse writes the Messages answer for a Converse answer to r:
// block for block, with the model's Anthropic name, Converse's usage and
// stop reason. With disable_parallel_tool_use only the first tool call is
// kept, as the model would make only one.
func (r *MessagesRequest) FromConverse(id, model string, out *wire.ConverseResponse) ([]byte, error) {
	resp := MessagesResponse{ID: id, Type: "message", Role: "assistant", Model: model, Content: []ContentOut{}}
	if out.Output != nil && out.Output.Message != nil {
		calls := 0
		for _, b := range out.Output.Message.Content {
			if b.ToolUse != nil {
				calls++
				if calls > 1 && r.singleToolUse() {
					continue
				}
			}
			if c, ok := contentOut(&b); ok {
				resp.Content = append(resp.Content, c)
			}
		}
	}
	stop := stopReason(out.StopReason)
	resp.StopReason = &stop
	resp.StopSequence = r.stopSequence(out.StopReason)
	resp.Usage = messagesUsage(UsageOf(out.Usage))
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("encode messages response: %w", err)
	}
	return b, nil
}

func (r *MessagesRequest) singleToolUse() bool {
	return r.ToolChoice != nil && r.ToolChoice.DisableParallelToolUse
}

func contentOut(b *wire.ContentBlock) (ContentOut, bool) {
	switch {
	case b.Text != nil:
		return ContentOut{Type: "text", Text: b.Text}, true
	case b.ToolUse != nil:
		in := b.ToolUse.Input
		if len(in) == 0 {
			in = json.RawMessage(`{}`)
		}
		return ContentOut{Type: "tool_use", ID: b.ToolUse.ToolUseID, Name: b.ToolUse.Name, Input: in}, true
	case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
		rt := b.ReasoningContent.ReasoningText
		return ContentOut{Type: "thinking", Thinking: &rt.Text, Signature: &rt.Signature}, true
	case b.ReasoningContent != nil && b.ReasoningContent.RedactedContent != nil:
		return ContentOut{Type: "redacted_thinking", Data: wire.Ptr(string(b.ReasoningContent.RedactedContent))}, true
	}
	return ContentOut{}, false
}

// StreamEncoder turns a ConverseStream into the Messages stream events
// Claude on Bedrock sends in its chunks: message_start, for each block
// content_block_start, its deltas and content_block_stop, then
// message_delta (stop reason and usage) and message_stop. Converse starts
// text and reasoning blocks with their first delta and reports usage only
// after messageStop, so the encoder starts blocks itself and holds the
// stop reason until the metadata event.
type StreamEncoder struct {
	req        *MessagesRequest
	id, model  string
	input      int // prompt tokens for message_start
	open       map[int]string
	dropped    map[int]bool
	toolCalls  int
	stop       wire.StopReason
	stopped    bool
	done       bool
	FinalUsage *Usage // set once the metadata event arrived
}

// NewStreamEncoder returns an encoder for an answer to r with message ID
// id from model; inputTokens is the prompt count message_start reports
// (message_delta repeats the final usage, cache reads and writes included).
func (r *MessagesRequest) NewStreamEncoder(id, model string, inputTokens int) *StreamEncoder {
	return &StreamEncoder{req: r, id: id, model: model, input: inputTokens, open: map[int]string{}, dropped: map[int]bool{}}
}

// Done reports whether message_stop was written.
func (e *StreamEncoder) Done() bool { return e.done }

// Stream events, their members in the order the Messages API sends them.
type (
	startEvent struct {
		Type    string       `json:"type"`
		Message startMessage `json:"message"`
	}
	startMessage struct {
		ID           string        `json:"id"`
		Type         string        `json:"type"`
		Role         string        `json:"role"`
		Model        string        `json:"model"`
		Content      []ContentOut  `json:"content"`
		StopReason   *string       `json:"stop_reason"`
		StopSequence *string       `json:"stop_sequence"`
		Usage        MessagesUsage `json:"usage"`
	}
	blockStartEvent struct {
		Type         string     `json:"type"`
		Index        int        `json:"index"`
		ContentBlock blockShell `json:"content_block"`
	}
	// blockShell is a block as content_block_start opens it: text and
	// thinking empty, a tool call with an empty input.
	blockShell struct {
		Type      string          `json:"type"`
		ID        string          `json:"id,omitempty"`
		Name      string          `json:"name,omitempty"`
		Input     json.RawMessage `json:"input,omitempty"`
		Text      *string         `json:"text,omitempty"`
		Thinking  *string         `json:"thinking,omitempty"`
		Signature *string         `json:"signature,omitempty"`
		Data      *string         `json:"data,omitempty"`
	}
	blockDeltaEvent struct {
		Type  string     `json:"type"`
		Index int        `json:"index"`
		Delta blockDelta `json:"delta"`
	}
	blockDelta struct {
		Type        string  `json:"type"`
		Text        *string `json:"text,omitempty"`
		PartialJSON *string `json:"partial_json,omitempty"`
		Thinking    *string `json:"thinking,omitempty"`
		Signature   *string `json:"signature,omitempty"`
	}
	blockStopEvent struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	messageDeltaEvent struct {
		Type  string        `json:"type"`
		Delta messageDelta  `json:"delta"`
		Usage MessagesUsage `json:"usage"`
	}
	messageDelta struct {
		StopReason   string  `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
	}
	stopEvent struct {
		Type string `json:"type"`
	}
)

var empty = ""

// Encode returns the chunks (each one JSON event) for one Converse event.
func (e *StreamEncoder) Encode(ev *wire.StreamEvent) ([][]byte, error) {
	var out []any
	switch {
	case ev.MessageStart != nil:
		out = append(out, startEvent{Type: "message_start", Message: startMessage{
			ID: e.id, Type: "message", Role: "assistant", Model: e.model, Content: []ContentOut{},
			Usage: MessagesUsage{InputTokens: e.input, OutputTokens: 1},
		}})
	case ev.ContentBlockStart != nil:
		i := ev.ContentBlockStart.ContentBlockIndex
		st := ev.ContentBlockStart.Start
		if st == nil || st.ToolUse == nil {
			break
		}
		e.toolCalls++
		if e.toolCalls > 1 && e.req.singleToolUse() {
			e.dropped[i] = true
			break
		}
		e.open[i] = "tool_use"
		out = append(out, blockStart(i, blockShell{Type: "tool_use", ID: st.ToolUse.ToolUseID, Name: st.ToolUse.Name, Input: json.RawMessage(`{}`)}))
	case ev.ContentBlockDelta != nil:
		i := ev.ContentBlockDelta.ContentBlockIndex
		d := ev.ContentBlockDelta.Delta
		if d == nil || e.dropped[i] {
			break
		}
		switch {
		case d.Text != nil:
			if _, ok := e.open[i]; !ok {
				e.open[i] = "text"
				out = append(out, blockStart(i, blockShell{Type: "text", Text: &empty}))
			}
			out = append(out, deltaOf(i, blockDelta{Type: "text_delta", Text: d.Text}))
		case d.ToolUse != nil:
			out = append(out, deltaOf(i, blockDelta{Type: "input_json_delta", PartialJSON: &d.ToolUse.Input}))
		case d.ReasoningContent != nil:
			rc := d.ReasoningContent
			if rc.RedactedContent != nil {
				e.open[i] = "redacted_thinking"
				out = append(out, blockStart(i, blockShell{Type: "redacted_thinking", Data: wire.Ptr(string(rc.RedactedContent))}))
				break
			}
			if _, ok := e.open[i]; !ok {
				e.open[i] = "thinking"
				out = append(out, blockStart(i, blockShell{Type: "thinking", Thinking: &empty, Signature: &empty}))
			}
			if rc.Text != nil {
				out = append(out, deltaOf(i, blockDelta{Type: "thinking_delta", Thinking: rc.Text}))
			}
			if rc.Signature != nil {
				out = append(out, deltaOf(i, blockDelta{Type: "signature_delta", Signature: rc.Signature}))
			}
		}
	case ev.ContentBlockStop != nil:
		i := ev.ContentBlockStop.ContentBlockIndex
		if _, ok := e.open[i]; ok {
			delete(e.open, i)
			out = append(out, blockStopEvent{Type: "content_block_stop", Index: i})
		}
	case ev.MessageStop != nil:
		e.stop, e.stopped = ev.MessageStop.StopReason, true
	case ev.Metadata != nil:
		if !e.stopped {
			return nil, fmt.Errorf("encode messages stream: metadata before messageStop")
		}
		u := UsageOf(ev.Metadata.Usage)
		e.FinalUsage = &u
		out = append(out,
			messageDeltaEvent{Type: "message_delta",
				Delta: messageDelta{StopReason: stopReason(e.stop), StopSequence: e.req.stopSequence(e.stop)},
				Usage: messagesUsage(u)},
			stopEvent{Type: "message_stop"})
		e.done = true
	}
	chunks := make([][]byte, 0, len(out))
	for _, v := range out {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode messages stream event: %w", err)
		}
		chunks = append(chunks, b)
	}
	return chunks, nil
}

func blockStart(i int, b blockShell) blockStartEvent {
	return blockStartEvent{Type: "content_block_start", Index: i, ContentBlock: b}
}

func deltaOf(i int, d blockDelta) blockDeltaEvent {
	return blockDeltaEvent{Type: "content_block_delta", Index: i, Delta: d}
}
