package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/sse"
	"github.com/conversekit/converse/internal/wire"
)

// chatChunk is one "data:" payload of a chat-completions stream.
type chatChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content          *string    `json:"content"`
			ReasoningContent *string    `json:"reasoning_content"`
			Reasoning        *string    `json:"reasoning"`
			ToolCalls        []toolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string         `json:"finish_reason"`
		StopReason   json.RawMessage `json:"stop_reason"`
	} `json:"choices"`
	Usage *chatUsage      `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// ConverseStream sends the request with stream: true and include_usage,
// and yields the answer as ConverseStream events in Bedrock's order:
// messageStart; per block an optional contentBlockStart (tool calls only),
// its deltas and contentBlockStop; messageStop; metadata. messageStart goes
// out with the first content (see upstream.Liveness), so a backend that
// produces nothing within the first-token timeout fails before any event.
// Breaking out of the loop cancels the upstream request and closes its body.
func (p *Provider) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := p.now()
		body, err := p.buildRequest(c.Request, c.UpstreamModel, true)
		if err != nil {
			yield(nil, err)
			return
		}
		ctx, live := p.up.Watch(ctx, p.firstToken, p.idle)
		defer live.Stop()
		fail := func(err error) { yield(nil, live.Fail(err)) }
		resp, err := p.post(ctx, body, true)
		if err != nil {
			fail(err)
			return
		}
		defer resp.Body.Close()
		st := &streamState{p: p, req: c.Request, tools: map[int]*block{}, budget: p.up.Budget(p.maxBuffered)}
		st.out = append(st.out, &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}})
		done := false
		limit := min(p.maxBuffered, sse.DefaultMaxEventBytes)
		for ev, err := range sse.Read(resp.Body, sse.Options{MaxEventBytes: limit, MaxLineBytes: min(limit, sse.DefaultMaxLineBytes)}) {
			if err != nil {
				fail(p.streamError(ctx, err))
				return
			}
			if strings.TrimSpace(ev.Data) == "[DONE]" {
				done = true
				break
			}
			var chunk chatChunk
			if err := json.Unmarshal([]byte(ev.Data), &chunk); err != nil {
				fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q sent a stream chunk that is not JSON.", p.name), OriginalStatusCode: 200})
				return
			}
			if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
				fail(p.up.StreamError(ctx, errorStatus(chunk.Error), "", errorMessage([]byte(ev.Data))))
				return
			}
			st.chunk(&chunk)
			if st.err != nil {
				fail(st.err)
				return
			}
			if !live.Emit(st.take(), yield) {
				return
			}
		}
		if context.Cause(ctx) != nil {
			fail(p.up.TransportError(ctx, context.Cause(ctx)))
			return
		}
		if !done && st.finish == nil {
			fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("The stream from backend %q ended before the answer was complete.", p.name), OriginalStatusCode: 200})
			return
		}
		st.end()
		st.out = append(st.out,
			&wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: st.stopReason()}},
			&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{
				Usage:   convertUsage(st.usage),
				Metrics: &wire.ConverseStreamMetrics{LatencyMs: p.now().Sub(start).Milliseconds()},
			}},
		)
		live.Emit(st.take(), yield)
	}
}

// errorStatus is the HTTP status an error chunk names in its numeric code
// (vLLM, llama.cpp), 0 when it names none.
func errorStatus(raw json.RawMessage) int {
	var e struct {
		Code json.RawMessage `json:"code"`
	}
	var code int
	if json.Unmarshal(raw, &e) == nil && json.Unmarshal(e.Code, &code) == nil && code >= 400 && code <= 599 {
		return code
	}
	return 0
}

// streamError classifies a failure while reading the stream body.
func (p *Provider) streamError(ctx context.Context, err error) error {
	if context.Cause(ctx) != nil {
		return p.up.TransportError(ctx, err)
	}
	if errors.Is(err, sse.ErrLineTooLong) || errors.Is(err, sse.ErrEventTooLarge) {
		return &wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q sent an oversized stream event.", p.name), OriginalStatusCode: 200}
	}
	return &wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("The stream from backend %q broke off.", p.name), OriginalStatusCode: 200}
}

type blockKind int

const (
	textBlock blockKind = iota
	reasoningBlock
	toolBlock
)

// blockCost is what a content block is charged against the stream's
// budget for its own state, so that a stream opening block after block is
// bounded too.
const blockCost = 256

// block is one content block of the answer, in output order.
type block struct {
	kind blockKind
	// pos is the block's contentBlockIndex.
	pos  int
	id   string
	name string
	// args is every argument fragment received while the call is open, to
	// check its input once it closes; scan tells when it is whole.
	args strings.Builder
	scan jsonScan
	// pending is content received while an earlier block was still open;
	// it is sent as one delta when this block's turn comes.
	pending strings.Builder
	// emitted is whether any input fragment went out for this tool call.
	emitted bool
}

// streamState turns chunks into events. Bedrock's blocks never interleave,
// but OpenAI's parallel tool calls may (fragments are keyed by index), so
// one block is live at a time and later blocks buffer until the live one is
// complete: a text block as soon as anything follows it, a tool call once
// its arguments are a whole JSON value. Everything held is charged to
// budget; the first charge that does not fit is err, and ends the stream.
type streamState struct {
	p      *Provider
	req    *wire.ConverseRequest
	budget *upstream.Budget
	err    error
	blocks []*block
	// live is the index of the block being streamed; blocks before it are
	// closed. live == len(blocks) means none is open yet.
	live int
	// tools maps the upstream tool-call index to its block; lastTool takes
	// fragments from servers that omit the index.
	tools     map[int]*block
	lastTool  *block
	finished  bool
	finish    *string
	matched   json.RawMessage
	usage     *chatUsage
	malformed bool
	out       []*wire.StreamEvent
}

// take returns the events translated so far and starts a new batch.
func (s *streamState) take() []*wire.StreamEvent {
	out := s.out
	s.out = nil
	return out
}

// hold charges n bytes to the budget; false (with s.err set) when they do
// not fit, and then the caller keeps nothing.
func (s *streamState) hold(n int) bool {
	if s.err != nil {
		return false
	}
	if err := s.budget.Take(n); err != nil {
		s.err = err
		return false
	}
	return true
}

func (s *streamState) chunk(c *chatChunk) {
	if c.Usage != nil {
		s.usage = c.Usage
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 || s.finished {
			// Only the first choice is translated; content after the
			// finish (OpenRouter's trailing usage chunk) is ignored.
			continue
		}
		d := &ch.Delta
		if r := reasoningText(d.ReasoningContent, d.Reasoning); r != "" {
			s.appendText(reasoningBlock, r)
		}
		if d.Content != nil && *d.Content != "" {
			s.appendText(textBlock, *d.Content)
		}
		for _, tc := range d.ToolCalls {
			s.toolDelta(tc)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = ch.FinishReason
			s.matched = ch.StopReason
			s.end()
		}
	}
}

// appendText adds text to the last block when it is of the same kind, or
// starts a new block.
func (s *streamState) appendText(kind blockKind, text string) {
	var b *block
	if n := len(s.blocks); n > 0 && s.blocks[n-1].kind == kind {
		b = s.blocks[n-1]
	} else if b = s.newBlock(kind); b == nil {
		return
	}
	s.send(b, text)
	s.advance()
}

func (s *streamState) toolDelta(tc toolCall) {
	var b *block
	switch {
	case tc.Index != nil:
		b = s.tools[*tc.Index]
	case tc.ID != "" && (s.lastTool == nil || s.lastTool.id != s.p.toolUseID(tc.ID)):
		// No index and a new ID: a new call.
	default:
		b = s.lastTool
	}
	if b == nil {
		if !s.hold(blockCost) {
			return
		}
		b = &block{kind: toolBlock, pos: len(s.blocks), id: s.p.toolUseID(tc.ID), name: tc.Function.Name}
		s.blocks = append(s.blocks, b)
		if tc.Index != nil {
			s.tools[*tc.Index] = b
		}
		s.lastTool = b
		s.open(len(s.blocks) - 1)
	} else if b.name == "" {
		b.name = tc.Function.Name
	}
	if tc.Function.Arguments != "" {
		if s.index(b) < s.live {
			// More arguments for a call already closed: the upstream
			// interleaved in a way we could not foresee.
			s.malformed = true
		} else if s.hold(len(tc.Function.Arguments)) {
			b.args.WriteString(tc.Function.Arguments)
			b.scan.write(tc.Function.Arguments)
			s.send(b, tc.Function.Arguments)
		}
	}
	s.advance()
}

// newBlock starts a block of kind; nil when the budget has no room for it.
func (s *streamState) newBlock(kind blockKind) *block {
	if !s.hold(blockCost) {
		return nil
	}
	b := &block{kind: kind, pos: len(s.blocks)}
	s.blocks = append(s.blocks, b)
	s.open(len(s.blocks) - 1)
	return b
}

func (s *streamState) index(b *block) int { return b.pos }

// open emits the start of block i if it is the live one.
func (s *streamState) open(i int) {
	if i != s.live {
		return
	}
	b := s.blocks[i]
	if b.kind == toolBlock {
		if b.name == "" {
			// Bedrock's toolUse start needs a name, and OpenAI-compatible
			// servers send it with a call's first chunk: a call without one
			// is malformed (found by FuzzStream).
			b.name = "unnamed_tool"
			s.malformed = true
		}
		s.out = append(s.out, &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{
			ContentBlockIndex: i,
			Start:             &wire.ContentBlockStart{ToolUse: &wire.ToolUseBlockStart{ToolUseID: b.id, Name: b.name}},
		}})
	}
	if b.pending.Len() > 0 {
		text := b.pending.String()
		s.budget.Give(len(text))
		b.pending = strings.Builder{}
		s.delta(i, b, text)
	}
}

// send emits content for b now if it is live, or keeps it for later.
func (s *streamState) send(b *block, text string) {
	i := s.index(b)
	if i == s.live {
		s.delta(i, b, text)
		return
	}
	if s.hold(len(text)) {
		b.pending.WriteString(text)
	}
}

func (s *streamState) delta(i int, b *block, text string) {
	d := &wire.ContentBlockDelta{}
	switch b.kind {
	case textBlock:
		d.Text = wire.Ptr(text)
	case reasoningBlock:
		d.ReasoningContent = &wire.ReasoningContentBlockDelta{Text: wire.Ptr(text)}
	case toolBlock:
		d.ToolUse = &wire.ToolUseBlockDelta{Input: text}
		b.emitted = true
	}
	s.out = append(s.out, &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: d}})
}

// advance closes the live block while it is complete and a later block is
// waiting, and opens the next.
func (s *streamState) advance() {
	for s.live < len(s.blocks)-1 {
		b := s.blocks[s.live]
		if b.kind == toolBlock && !b.scan.whole() {
			return
		}
		s.close()
	}
}

// close ends the live block and opens the next one, if any.
func (s *streamState) close() {
	i := s.live
	b := s.blocks[i]
	if b.kind == toolBlock {
		if !b.emitted {
			// Bedrock always sends the input; a call without arguments
			// is an empty object.
			s.delta(i, b, "{}")
		} else if _, ok := toolInput(b.args.String()); !ok {
			s.malformed = true
		}
		// The input was checked; it need not be kept.
		s.budget.Give(b.args.Len())
		b.args = strings.Builder{}
	}
	s.out = append(s.out, &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: i}})
	s.live++
	if s.live < len(s.blocks) {
		s.open(s.live)
	}
}

// end closes every block; later content is ignored.
func (s *streamState) end() {
	if s.finished {
		return
	}
	s.finished = true
	for s.live < len(s.blocks) {
		s.close()
	}
}

func (s *streamState) stopReason() wire.StopReason {
	if s.malformed {
		return wire.StopReasonMalformedToolUse
	}
	hasTools := len(s.tools) > 0 || s.lastTool != nil
	return stopReason(s.finish, s.matched, s.req, hasTools)
}

// jsonScan tells, fragment by fragment, whether a tool call's arguments
// are one whole JSON object or array (followed by nothing but white
// space), without rescanning what came before: re-validating the whole
// input on every fragment made a long input quadratic. Whether the whole
// value is valid JSON is checked once, when the call closes.
type jsonScan struct {
	depth                                    int
	started, closed, junk, inString, escaped bool
}

func (j *jsonScan) write(s string) {
	for i := 0; i < len(s) && !j.junk; i++ {
		c := s[i]
		space := c == ' ' || c == '\t' || c == '\n' || c == '\r'
		switch {
		case j.closed:
			j.junk = !space
		case j.inString:
			switch {
			case j.escaped:
				j.escaped = false
			case c == '\\':
				j.escaped = true
			case c == '"':
				j.inString = false
			}
		case !j.started:
			if space {
				continue
			}
			if c != '{' && c != '[' {
				// Not an object: never whole, found malformed at the end.
				j.junk = true
				continue
			}
			j.started, j.depth = true, 1
		case c == '"':
			j.inString = true
		case c == '{' || c == '[':
			j.depth++
		case c == '}' || c == ']':
			j.depth--
			j.closed = j.depth == 0
		}
	}
}

// whole reports whether the arguments so far are one complete object or
// array.
func (j *jsonScan) whole() bool { return j.closed && !j.junk }
