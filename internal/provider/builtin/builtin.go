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
	chunks       []string // word-sized pieces of the one text block
	stop         wire.StopReason
	inputTokens  int
	outputTokens int
}

func (r *reply) text() string { return strings.Join(r.chunks, "") }

func (m *Model) reply(req *wire.ConverseRequest) reply {
	r := reply{stop: wire.StopReasonEndTurn}
	r.inputTokens = m.opts.Tokens.Converse(tokens.FromRequest(req)).Total
	budget := -1
	var stops []string
	if ic := req.InferenceConfig; ic != nil {
		if ic.MaxTokens != nil {
			budget = *ic.MaxTokens
		}
		stops = ic.StopSequences
	}

	var sofar strings.Builder
	used := 0
	for _, chunk := range splitWords(answerText(req)) {
		n := m.opts.Tokens.Text(chunk)
		if budget >= 0 && used+n > budget {
			// Fit what still fits of this word, as a model stops mid-word.
			chunk = m.fit(chunk, budget-used)
			if chunk != "" {
				r.chunks = append(r.chunks, chunk)
				sofar.WriteString(chunk)
			}
			r.stop = wire.StopReasonMaxTokens
			break
		}
		sofar.WriteString(chunk)
		if cut, ok := stopAt(sofar.String(), stops); ok {
			// Keep only what precedes the stop sequence, as Bedrock does;
			// the sequence may have started in an earlier piece.
			r.chunks = splitWords(sofar.String()[:cut])
			r.stop = wire.StopReasonStopSequence
			break
		}
		r.chunks = append(r.chunks, chunk)
		used += n
	}
	r.outputTokens = m.opts.Tokens.Text(r.text())
	return r
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
	content := []wire.ContentBlock{}
	if text := r.text(); text != "" {
		content = append(content, wire.ContentBlock{Text: &text})
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
		for _, chunk := range r.chunks {
			if err := pause(ctx, m.tokenDelay(m.opts.Tokens.Text(chunk))); err != nil {
				yield(nil, err)
				return
			}
			delta := &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr(chunk)}}
			if !yield(&wire.StreamEvent{ContentBlockDelta: delta}, nil) {
				return
			}
		}
		if len(r.chunks) > 0 {
			if !yield(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{}}, nil) {
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
