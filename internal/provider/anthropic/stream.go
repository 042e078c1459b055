package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/upstream"
	"github.com/conversekit/converse/internal/sse"
	"github.com/conversekit/converse/internal/wire"
)

// ConverseStream sends the request with stream: true and translates the
// Server-Sent Events into ConverseStream events in Bedrock's order:
// messageStart; per content block, contentBlockStart (tool use only; text
// and reasoning have none), deltas and contentBlockStop, numbered by their
// position in the Converse message; messageStop with the stop reason from
// message_delta; metadata last, with usage merged from message_start and
// message_delta. ping events are ignored; an error event ends the stream
// with the mapped exception (see streamError). Breaking out of the loop
// closes the upstream response. Options.FirstTokenTimeout and IdleTimeout
// bound the waits for upstream content, not the consumer's time (see
// upstream.Liveness); messageStart goes out with the first content.
func (p *Provider) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := p.now()
		r, err := p.buildRequest(c.Request, c.UpstreamModel, true)
		if err != nil {
			yield(nil, err)
			return
		}
		ctx, live := p.up.Watch(ctx, p.firstToken, p.idle)
		defer live.Stop()
		fail := func(err error) { yield(nil, live.Fail(err)) }
		resp, err := p.post(ctx, r)
		if err != nil {
			fail(err)
			return
		}
		defer resp.Body.Close()
		st := p.newStreamState(c.Request, start)
		limit := min(p.maxBuffered, sse.DefaultMaxEventBytes)
		for ev, err := range sse.Read(resp.Body, sse.Options{MaxEventBytes: limit, MaxLineBytes: min(limit, sse.DefaultMaxLineBytes)}) {
			if err != nil {
				fail(p.readError(ctx, err))
				return
			}
			events, done, err := st.handle(ctx, ev)
			if err != nil {
				fail(err)
				return
			}
			if !live.Emit(events, yield) || done {
				return
			}
		}
		if context.Cause(ctx) != nil {
			fail(p.up.TransportError(ctx, context.Cause(ctx)))
			return
		}
		fail(&wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q ended the stream before message_stop.", p.name), OriginalStatusCode: 200})
	}
}

// readError classifies a failure while reading the stream body.
func (p *Provider) readError(ctx context.Context, err error) error {
	if context.Cause(ctx) == nil && (errors.Is(err, sse.ErrLineTooLong) || errors.Is(err, sse.ErrEventTooLarge)) {
		return &wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q sent an oversized stream event.", p.name), OriginalStatusCode: 200}
	}
	return p.up.TransportError(ctx, err)
}

// streamEvent is the data of one Messages stream event.
type streamEvent struct {
	Type         string          `json:"type"`
	Message      *apiMessage     `json:"message"`
	Index        int             `json:"index"`
	ContentBlock *responseBlock  `json:"content_block"`
	Delta        json.RawMessage `json:"delta"`
	Usage        *apiUsage       `json:"usage"`
}

// streamDelta is the delta of content_block_delta and of message_delta.
type streamDelta struct {
	Type        string  `json:"type"`
	Text        string  `json:"text"`
	PartialJSON string  `json:"partial_json"`
	Thinking    string  `json:"thinking"`
	Signature   string  `json:"signature"`
	StopReason  *string `json:"stop_reason"`
	// Citation of a citations_delta.
	Citation *apiCitation `json:"citation"`
}

// blockState is an open content block of the stream.
type blockState struct {
	kind     string // "text", "tool", "reasoning", "redacted"
	index    int    // Converse contentBlockIndex
	hasDelta bool
}

// blockCost is what an open content block is charged against the stream's
// budget, so that a stream opening blocks without closing them is bounded.
const blockCost = 256

// streamState turns Messages stream events into ConverseStream events.
// What it holds (open blocks, the last message_delta) is charged to
// budget.
type streamState struct {
	p       *Provider
	req     *wire.ConverseRequest
	budget  *upstream.Budget
	start   time.Time
	started bool
	usage   apiUsage
	stop    *string
	// delta is the message_delta event, the native source of
	// additionalModelResponseFields in a stream.
	delta  []byte
	blocks map[int]*blockState
	next   int
}

func (p *Provider) newStreamState(req *wire.ConverseRequest, start time.Time) *streamState {
	return &streamState{p: p, req: req, start: start, blocks: map[int]*blockState{}, budget: p.up.Budget(p.maxBuffered)}
}

func (st *streamState) malformed() error {
	return &wire.Exception{Type: wire.ModelStreamErrorException, Message: fmt.Sprintf("Backend %q sent a stream event that is not valid JSON.", st.p.name), OriginalStatusCode: 200}
}

// handle translates one event; done is true after message_stop.
func (st *streamState) handle(ctx context.Context, ev sse.Event) (out []*wire.StreamEvent, done bool, err error) {
	var e streamEvent
	if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
		return nil, false, st.malformed()
	}
	typ := e.Type
	if typ == "" {
		typ = ev.Name
	}
	if typ == "error" || ev.Name == "error" {
		return nil, false, st.p.streamError(ctx, []byte(ev.Data))
	}
	begin := func() {
		if !st.started {
			st.started = true
			out = append(out, &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}})
		}
	}
	delta := func(idx int, d *wire.ContentBlockDelta) {
		out = append(out, &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: idx, Delta: d}})
	}
	switch typ {
	case "message_start":
		begin()
		if e.Message != nil {
			st.usage.merge(e.Message.Usage)
		}
	case "content_block_start":
		begin()
		cb := e.ContentBlock
		if cb == nil {
			return nil, false, st.malformed()
		}
		var bs *blockState
		switch cb.Type {
		case "text":
			bs = &blockState{kind: "text", index: st.next}
			if cb.Text != "" {
				delta(bs.index, &wire.ContentBlockDelta{Text: wire.Ptr(cb.Text)})
				bs.hasDelta = true
			}
		case "tool_use", "server_tool_use":
			bs = &blockState{kind: "tool", index: st.next}
			start := &wire.ToolUseBlockStart{ToolUseID: cb.ID, Name: cb.Name}
			if cb.Type == "server_tool_use" {
				start.Type = "server_tool_use"
			}
			out = append(out, &wire.StreamEvent{ContentBlockStart: &wire.ContentBlockStartEvent{
				ContentBlockIndex: bs.index, Start: &wire.ContentBlockStart{ToolUse: start},
			}})
		case "thinking":
			bs = &blockState{kind: "reasoning", index: st.next}
			if cb.Thinking != "" {
				delta(bs.index, &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr(cb.Thinking)}})
				bs.hasDelta = true
			}
		case "redacted_thinking":
			// The whole block arrives here; Bedrock sends it as one delta.
			bs = &blockState{kind: "redacted", index: st.next, hasDelta: true}
			delta(bs.index, &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{RedactedContent: []byte(cb.Data)}})
		default:
			// Server tool results and other kinds have no Converse block.
			return out, false, nil
		}
		if err := st.budget.Take(blockCost); err != nil {
			return nil, false, err
		}
		if _, reopened := st.blocks[e.Index]; reopened {
			st.budget.Give(blockCost)
		}
		st.next++
		st.blocks[e.Index] = bs
	case "content_block_delta":
		bs := st.blocks[e.Index]
		if bs == nil {
			return nil, false, nil
		}
		var d streamDelta
		if err := json.Unmarshal(e.Delta, &d); err != nil {
			return nil, false, st.malformed()
		}
		switch d.Type {
		case "text_delta":
			delta(bs.index, &wire.ContentBlockDelta{Text: wire.Ptr(d.Text)})
		case "input_json_delta":
			// The first fragment is often empty; Bedrock sends none such.
			if d.PartialJSON == "" {
				return nil, false, nil
			}
			delta(bs.index, &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: d.PartialJSON}})
		case "thinking_delta":
			delta(bs.index, &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr(d.Thinking)}})
		case "signature_delta":
			delta(bs.index, &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Signature: wire.Ptr(d.Signature)}})
		case "citations_delta":
			// A citation of the text block it arrives in: Bedrock sends it
			// as a citation delta of the same content block, and clients
			// gather the block's text and citations into citationsContent.
			if d.Citation == nil || bs.kind != "text" {
				return nil, false, nil
			}
			delta(bs.index, &wire.ContentBlockDelta{Citation: d.Citation.delta()})
		default:
			// Future kinds.
			return nil, false, nil
		}
		bs.hasDelta = true
	case "content_block_stop":
		bs := st.blocks[e.Index]
		if bs == nil {
			return nil, false, nil
		}
		delete(st.blocks, e.Index)
		st.budget.Give(blockCost)
		out = append(out, st.stopBlock(bs)...)
	case "message_delta":
		var d streamDelta
		if len(e.Delta) > 0 {
			if err := json.Unmarshal(e.Delta, &d); err != nil {
				return nil, false, st.malformed()
			}
		}
		if d.StopReason != nil {
			st.stop = d.StopReason
		}
		st.usage.merge(e.Usage)
		if err := st.budget.Take(len(ev.Data)); err != nil {
			return nil, false, err
		}
		st.budget.Give(len(st.delta))
		st.delta = []byte(ev.Data)
	case "message_stop":
		begin()
		// Blocks the upstream never closed are closed in order.
		open := make([]int, 0, len(st.blocks))
		for k := range st.blocks {
			open = append(open, k)
		}
		slices.Sort(open)
		for _, k := range open {
			out = append(out, st.stopBlock(st.blocks[k])...)
		}
		st.budget.Give(blockCost * len(st.blocks))
		clear(st.blocks)
		ms := &wire.MessageStopEvent{StopReason: stopReason(st.stop)}
		if st.req != nil {
			ms.AdditionalModelResponseFields = responseFields(st.delta, st.req.AdditionalModelResponseFieldPaths)
		}
		out = append(out,
			&wire.StreamEvent{MessageStop: ms},
			&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{
				Usage:   convertUsage(&st.usage),
				Metrics: &wire.ConverseStreamMetrics{LatencyMs: st.p.now().Sub(st.start).Milliseconds()},
			}})
		return out, true, nil
	}
	// ping and unknown event types carry nothing for Converse.
	return out, false, nil
}

// stopBlock ends a block. A block that got no delta gets an empty one
// first ("{}" for a tool without arguments), so every client sees a
// complete block.
func (st *streamState) stopBlock(bs *blockState) []*wire.StreamEvent {
	var out []*wire.StreamEvent
	if !bs.hasDelta {
		var d *wire.ContentBlockDelta
		switch bs.kind {
		case "tool":
			d = &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: "{}"}}
		case "reasoning":
			d = &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr("")}}
		default:
			d = &wire.ContentBlockDelta{Text: wire.Ptr("")}
		}
		out = append(out, &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: bs.index, Delta: d}})
	}
	return append(out, &wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: bs.index}})
}
