package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Stream sends the prompt with ConverseStream and yields its pieces as they
// arrive, running the tool loop between model rounds. Breaking out of the
// loop closes the response body. An error is yielded once and ends the
// stream. Memory is updated when the stream completes.
func (p Prompt) Stream(ctx context.Context) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		pr, err := p.prepare(ctx)
		if err != nil {
			yield(Chunk{}, err)
			return
		}
		for round := 1; ; round++ {
			r, err := pr.round()
			if err != nil {
				yield(Chunk{}, err)
				return
			}
			msg, stop, more, err := p.c.streamRound(ctx, pr.streamInput(r), yield)
			if !more {
				return
			}
			if err != nil {
				yield(Chunk{}, err)
				return
			}
			calls, err := toolCalls(msg)
			if err != nil {
				yield(Chunk{}, err)
				return
			}
			if stop != types.StopReasonToolUse || len(calls) == 0 {
				pr.added = append(pr.added, msg)
				break
			}
			if round >= pr.opts.MaxToolRounds {
				yield(Chunk{}, &ToolRoundsError{Rounds: round, Last: &Response{Message: msg, StopReason: stop, Text: textOf(msg)}})
				return
			}
			results := runTools(ctx, pr.tools, calls)
			for i := range results {
				if !yield(Chunk{ToolResult: &results[i]}, nil) {
					return
				}
			}
			done, err := pr.afterTools(msg, results)
			if err != nil {
				yield(Chunk{}, err)
				return
			}
			if done {
				if !yield(Chunk{Text: directText(results)}, nil) {
					return
				}
				break
			}
		}
		if err := pr.save(ctx, p); err != nil {
			yield(Chunk{}, err)
		}
	}
}

// streamRound is one model round of a stream under the whole-call timeout.
// The SDK retries a failed request; an exception inside the stream is
// retried here with the same retryer (attempts, quota, backoff), but only
// while nothing has been yielded. more is false when the consumer stopped.
func (c *Client) streamRound(ctx context.Context, in *bedrockruntime.ConverseStreamInput, yield func(Chunk, error) bool) (msg types.Message, stop types.StopReason, more bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.Timeout)
	defer cancel()
	used := 0 // attempts made so far, the SDK's included
	var release func(error) error
	for {
		yielded := false
		counting := func(ch Chunk, err error) bool {
			yielded = true
			return yield(ch, err)
		}
		var n int
		msg, stop, n, more, err = c.streamOnce(ctx, in, c.retryer.MaxAttempts()-used, counting)
		used += n
		if release != nil {
			_ = release(err) // a success refunds the retry's quota tokens
			release = nil
		}
		if err == nil || !more || yielded || n == 0 {
			break
		}
		if release, err = retryAgain(ctx, c.retryer, used, err); err != nil {
			break
		}
	}
	if err != nil {
		err = fmt.Errorf("converse stream %s: %w", aws.ToString(in.ModelId), err)
	}
	return msg, stop, more, err
}

// block assembles one content block from its deltas.
type block struct {
	text      strings.Builder
	reasoning strings.Builder
	signature string
	redacted  []byte
	isReason  bool
	tool      *ToolCall
	input     strings.Builder
}

func (b *block) content() (types.ContentBlock, error) {
	switch {
	case b.tool != nil:
		var v any = map[string]any{}
		if s := b.input.String(); strings.TrimSpace(s) != "" {
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return nil, fmt.Errorf("tool %q input: %w", b.tool.Name, err)
			}
		}
		return &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(b.tool.ID), Name: aws.String(b.tool.Name), Input: document.NewLazyDocument(v)}}, nil
	case b.isReason && b.redacted != nil:
		return &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberRedactedContent{Value: b.redacted}}, nil
	case b.isReason:
		rt := types.ReasoningTextBlock{Text: aws.String(b.reasoning.String())}
		if b.signature != "" {
			rt.Signature = aws.String(b.signature)
		}
		return &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: rt}}, nil
	}
	return &types.ContentBlockMemberText{Value: b.text.String()}, nil
}

// streamOnce sends one ConverseStream request, allowing the SDK at most
// budget attempts, and reads its events. n is the attempts made, 0 when
// the request itself failed (the SDK has retried it as far as it could).
func (c *Client) streamOnce(ctx context.Context, in *bedrockruntime.ConverseStreamInput, budget int, yield func(Chunk, error) bool) (_ types.Message, _ types.StopReason, n int, _ bool, _ error) {
	msg := types.Message{Role: types.ConversationRoleAssistant}
	out, err := c.rt.ConverseStream(ctx, in, func(o *bedrockruntime.Options) {
		if budget < c.retryer.MaxAttempts() {
			o.RetryMaxAttempts = max(budget, 1)
		}
	})
	if err != nil {
		return msg, "", 0, true, err
	}
	n = attempts(out.ResultMetadata)
	st := out.GetStream()
	defer st.Close()
	blocks := map[int32]*block{}
	get := func(i *int32) *block {
		k := aws.ToInt32(i)
		if blocks[k] == nil {
			blocks[k] = &block{}
		}
		return blocks[k]
	}
	var stop types.StopReason
	for ev := range st.Events() {
		var ch Chunk
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			if tu, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse); ok {
				get(v.Value.ContentBlockIndex).tool = &ToolCall{ID: aws.ToString(tu.Value.ToolUseId), Name: aws.ToString(tu.Value.Name)}
			}
			continue
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			b := get(v.Value.ContentBlockIndex)
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				b.text.WriteString(d.Value)
				ch.Text = d.Value
			case *types.ContentBlockDeltaMemberToolUse:
				b.input.WriteString(aws.ToString(d.Value.Input))
				continue
			case *types.ContentBlockDeltaMemberReasoningContent:
				b.isReason = true
				switch r := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					b.reasoning.WriteString(r.Value)
					ch.Reasoning = r.Value
				case *types.ReasoningContentBlockDeltaMemberSignature:
					b.signature += r.Value
					continue
				case *types.ReasoningContentBlockDeltaMemberRedactedContent:
					b.redacted = append(b.redacted, r.Value...)
					continue
				}
			default:
				continue
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			b := get(v.Value.ContentBlockIndex)
			if b.tool == nil {
				continue
			}
			call := *b.tool
			call.Input = json.RawMessage(strings.TrimSpace(b.input.String()))
			if len(call.Input) == 0 {
				call.Input = json.RawMessage("{}")
			}
			ch.ToolCall = &call
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = v.Value.StopReason
			ch.StopReason = stop
		case *types.ConverseStreamOutputMemberMetadata:
			var u Usage
			u.add(v.Value.Usage)
			ch.Usage = &u
			if v.Value.Trace != nil {
				ch.Guardrail = v.Value.Trace.Guardrail
			}
			if v.Value.ServiceTier != nil {
				ch.ServiceTier = v.Value.ServiceTier.Type
			}
			if v.Value.PerformanceConfig != nil {
				ch.PerformanceLatency = v.Value.PerformanceConfig.Latency
			}
		default:
			continue
		}
		if !yield(ch, nil) {
			return msg, stop, n, false, nil
		}
	}
	if err := st.Err(); err != nil {
		return msg, stop, n, true, err
	}
	keys := make([]int32, 0, len(blocks))
	for k := range blocks {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cb, err := blocks[k].content()
		if err != nil {
			return msg, stop, n, true, err
		}
		msg.Content = append(msg.Content, cb)
	}
	return msg, stop, n, true, nil
}
