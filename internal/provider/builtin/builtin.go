// Package builtin is converse's own model: deterministic, offline answers
// derived from the request, with Bedrock's stop reasons, usage and stream
// events, so that Bedrock code can be developed and tested without a backend.
package builtin

import (
	"context"
	"iter"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Options configure the built-in model. The zero value answers at once.
type Options struct {
	// Tokens counts input and output tokens; required.
	Tokens *tokens.Counter
	// TimeToFirstToken is the pause before the first output.
	TimeToFirstToken time.Duration
	// TokensPerSecond paces the output; 0 means no pause.
	TokensPerSecond float64
	// Now is the clock for metrics; nil means time.Now.
	Now func() time.Time
}

// Model is the built-in model. It is safe for concurrent use.
type Model struct {
	opts Options
}

// New returns the built-in model.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Model{opts: opts}
}

var _ provider.Provider = (*Model)(nil)

// reply is the model's whole answer, computed before anything is sent so
// that Converse and ConverseStream report the same content and usage.
type reply struct {
	blocks       []replyBlock
	stop         wire.StopReason
	inputTokens  int
	outputTokens int
}

// replyBlock is one content block: text in word-sized pieces, or a tool call
// whose input JSON streams in pieces.
type replyBlock struct {
	chunks  []string
	toolUse *wire.ToolUseBlock
}

func (b *replyBlock) text() string { return strings.Join(b.chunks, "") }

func (m *Model) reply(req *wire.ConverseRequest) reply {
	r := reply{stop: wire.StopReasonEndTurn}
	r.inputTokens = m.opts.Tokens.Converse(tokens.FromRequest(req)).Total
	if calls := toolCalls(req); len(calls) > 0 {
		r.stop = wire.StopReasonToolUse
		for i := range calls {
			c := &calls[i]
			r.blocks = append(r.blocks, replyBlock{toolUse: c, chunks: splitRunes(string(c.Input), 16)})
			r.outputTokens += m.opts.Tokens.Text(c.Name) + m.opts.Tokens.Text(string(c.Input))
		}
		return r
	}
	text, ok := toolResultAnswer(req)
	if !ok {
		text = answerText(req)
	}
	chunks, stop := m.cut(splitWords(text), req.InferenceConfig)
	r.stop = stop
	if len(chunks) > 0 {
		r.blocks = append(r.blocks, replyBlock{chunks: chunks})
		r.outputTokens = m.opts.Tokens.Text(strings.Join(chunks, ""))
	}
	return r
}

// cut applies maxTokens and stopSequences to the answer's pieces.
func (m *Model) cut(pieces []string, ic *wire.InferenceConfiguration) ([]string, wire.StopReason) {
	budget := -1
	var stops []string
	if ic != nil {
		if ic.MaxTokens != nil {
			budget = *ic.MaxTokens
		}
		stops = ic.StopSequences
	}
	var out []string
	var sofar strings.Builder
	used := 0
	for _, chunk := range pieces {
		n := m.opts.Tokens.Text(chunk)
		if budget >= 0 && used+n > budget {
			// Fit what still fits of this word, as a model stops mid-word.
			if chunk = m.fit(chunk, budget-used); chunk != "" {
				out = append(out, chunk)
			}
			return out, wire.StopReasonMaxTokens
		}
		sofar.WriteString(chunk)
		if cut, ok := stopAt(sofar.String(), stops); ok {
			// Keep only what precedes the stop sequence, as Bedrock does;
			// the sequence may have started in an earlier piece.
			return splitWords(sofar.String()[:cut]), wire.StopReasonStopSequence
		}
		out = append(out, chunk)
		used += n
	}
	return out, wire.StopReasonEndTurn
}

// splitRunes cuts s into pieces of at most n runes, never inside a rune.
func splitRunes(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	if len(r) > 0 {
		out = append(out, string(r))
	}
	return out
}

// fit returns the longest prefix of word that costs at most n tokens.
func (m *Model) fit(word string, n int) string {
	if n <= 0 {
		return ""
	}
	runes := []rune(word)
	for i := len(runes); i > 0; i-- {
		if p := string(runes[:i]); m.opts.Tokens.Text(p) <= n {
			return p
		}
	}
	return ""
}

// stopAt reports the byte offset of the earliest stop sequence in s.
func stopAt(s string, stops []string) (int, bool) {
	best := -1
	for _, seq := range stops {
		if seq == "" {
			continue
		}
		if i := strings.Index(s, seq); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	return best, best >= 0
}

// splitWords cuts text before each space, so every piece but the first
// starts with one; concatenated they give the text back.
func splitWords(text string) []string {
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

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pieceDelay is the time generating s takes at the configured pace.
func (m *Model) pieceDelay(s string) time.Duration {
	if m.opts.TokensPerSecond <= 0 {
		return 0
	}
	return m.tokenDelay(m.opts.Tokens.Text(s))
}

func (m *Model) tokenDelay(n int) time.Duration {
	if m.opts.TokensPerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(n) / m.opts.TokensPerSecond * float64(time.Second))
}

func (r *reply) usage() *wire.TokenUsage {
	return &wire.TokenUsage{
		InputTokens:  r.inputTokens,
		OutputTokens: r.outputTokens,
		TotalTokens:  r.inputTokens + r.outputTokens,
	}
}

// Converse answers in one piece, after the time the answer would take to
// generate at the configured pace.
func (m *Model) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	start := m.opts.Now()
	r := m.reply(c.Request)
	if err := pause(ctx, m.opts.TimeToFirstToken+m.tokenDelay(r.outputTokens)); err != nil {
		return nil, err
	}
	content := make([]wire.ContentBlock, 0, len(r.blocks))
	for _, b := range r.blocks {
		if b.toolUse != nil {
			content = append(content, wire.ContentBlock{ToolUse: b.toolUse})
		} else {
			content = append(content, wire.ContentBlock{Text: wire.Ptr(b.text())})
		}
	}
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: content}},
		StopReason: r.stop,
		Usage:      r.usage(),
		Metrics:    &wire.ConverseMetrics{LatencyMs: m.opts.Now().Sub(start).Milliseconds()},
	}, nil
}

// ConverseStream yields the same answer as Converse in word-sized text
// deltas, in Bedrock's event order.
func (m *Model) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := m.opts.Now()
		r := m.reply(c.Request)
		if err := pause(ctx, m.opts.TimeToFirstToken); err != nil {
			yield(nil, err)
			return
		}
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		for i, b := range r.blocks {
			if !m.streamBlock(ctx, i, &b, yield) {
				return
			}
		}
		if !yield(&wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: r.stop}}, nil) {
			return
		}
		yield(&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{
			Usage:   r.usage(),
			Metrics: &wire.ConverseStreamMetrics{LatencyMs: m.opts.Now().Sub(start).Milliseconds()},
		}}, nil)
	}
}

// streamBlock sends one block: contentBlockStart for tool calls only (text
// blocks start with their first delta, as on Bedrock), the deltas, then
// contentBlockStop. It reports whether the stream goes on.
func (m *Model) streamBlock(ctx context.Context, i int, b *replyBlock, yield func(*wire.StreamEvent, error) bool) bool {
	if b.toolUse != nil {
		start := &wire.ContentBlockStartEvent{ContentBlockIndex: i, Start: &wire.ContentBlockStart{
			ToolUse: &wire.ToolUseBlockStart{ToolUseID: b.toolUse.ToolUseID, Name: b.toolUse.Name},
		}}
		if !yield(&wire.StreamEvent{ContentBlockStart: start}, nil) {
			return false
		}
	}
	for _, chunk := range b.chunks {
		if err := pause(ctx, m.pieceDelay(chunk)); err != nil {
			yield(nil, err)
			return false
		}
		delta := &wire.ContentBlockDelta{Text: wire.Ptr(chunk)}
		if b.toolUse != nil {
			delta = &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: chunk}}
		}
		if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: delta}}, nil) {
			return false
		}
	}
	return yield(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: i}}, nil)
}
