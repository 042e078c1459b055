// Package builtin is converse's own model: deterministic, offline answers
// derived from the request, with Bedrock's stop reasons, usage and stream
// events, so that Bedrock code can be developed and tested without a backend.
package builtin

import (
	"context"
	"iter"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
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
	// TokensPerSecond paces the streamed output; 0 means no pause.
	TokensPerSecond float64
	// PaceConverse makes non-streaming Converse wait as long as streaming
	// the whole answer at TokensPerSecond would take. By default Converse
	// answers after TimeToFirstToken, so a quick question gets a quick
	// answer; a script's tokensPerSecond paces Converse either way.
	PaceConverse bool
	// Now is the clock for metrics; nil means time.Now.
	Now func() time.Time
	// Script holds scripted rules tried before the default behaviour; nil
	// means none.
	Script *Script
	// Reasoning reports whether a model (the routed model ID) can reason,
	// as the catalogue's Model.Reasoning says. Requests that enable
	// reasoning through additionalModelRequestFields get reasoningContent
	// only from such models. nil means every model can.
	Reasoning func(modelID string) bool
}

// Model is the built-in model. It is safe for concurrent use.
type Model struct {
	opts Options

	mu    sync.Mutex // guards the script's state
	rng   *rand.Rand
	seen  []int // per rule: calls that reached it and matched
	fired []int // per rule: calls it answered
}

// New returns the built-in model.
func New(opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{opts: opts}
	if s := opts.Script; s != nil {
		m.rng = rand.New(rand.NewPCG(s.seed, s.seed^0x9E3779B97F4A7C15))
		m.seen = make([]int, len(s.rules))
		m.fired = make([]int, len(s.rules))
	}
	return m
}

var _ provider.Provider = (*Model)(nil)

// choose returns the scripted action for a call, or nil when no rule
// fires. Rules are tried in order; a rule counts the calls that reach it
// and match its conditions, and fires when the count is one it names, the
// probability draw succeeds and its sequence has an answer left.
func (m *Model) choose(c *provider.Call, stream bool) *action {
	s := m.opts.Script
	if s == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range s.rules {
		r := &s.rules[i]
		if !r.matches(c, stream) {
			continue
		}
		m.seen[i]++
		if len(r.calls) > 0 && !slices.Contains(r.calls, m.seen[i]) {
			continue
		}
		if r.probability < 1 && m.rng.Float64() >= r.probability {
			continue
		}
		n := m.fired[i]
		if n >= len(r.sequence) && !r.repeat {
			continue
		}
		m.fired[i]++
		return &r.sequence[n%len(r.sequence)]
	}
	return nil
}

// reply is the model's whole answer, computed before anything is sent so
// that Converse and ConverseStream report the same content and usage.
type reply struct {
	blocks       []replyBlock
	stop         wire.StopReason
	inputTokens  int
	outputTokens int
	usageSet     *usageOverride
}

// replyBlock is one content block: text in word-sized pieces, a tool call
// whose input JSON streams in pieces, or reasoning text with its signature.
type replyBlock struct {
	chunks    []string
	toolUse   *wire.ToolUseBlock
	signature string      // set for a reasoning block
	cited     *citedBlock // set for a citationsContent block (citations.go)
}

func (b *replyBlock) text() string { return strings.Join(b.chunks, "") }

// pace is how fast one call answers.
type pace struct {
	delay, ttft time.Duration
	tps         float64
}

func (m *Model) pace(a *action) pace {
	p := pace{ttft: m.opts.TimeToFirstToken, tps: m.opts.TokensPerSecond}
	if a != nil {
		p.delay = a.delay
		if a.timeToFirstToken != nil {
			p.ttft = *a.timeToFirstToken
		}
		if a.tokensPerSecond != nil {
			p.tps = *a.tokensPerSecond
		}
	}
	return p
}

func (m *Model) canReason(c *provider.Call) bool {
	if m.opts.Reasoning == nil {
		return true
	}
	id := c.UpstreamModel
	if id == "" {
		id = c.ModelID
	}
	return m.opts.Reasoning(id) || (c.ModelID != id && m.opts.Reasoning(c.ModelID))
}

func (m *Model) reply(c *provider.Call, a *action) (reply, error) {
	req := c.Request
	r := reply{stop: wire.StopReasonEndTurn}
	if c.Prompt != nil {
		r.inputTokens = c.Prompt.Total
	} else {
		r.inputTokens = m.opts.Tokens.Converse(tokens.FromRequest(req)).Total
	}

	var calls []wire.ToolUseBlock
	var text string
	var cites []citedBlock
	scripted := a != nil && (a.text != nil || len(a.toolUse) > 0)
	switch {
	case scripted:
		if a.text != nil {
			text = *a.text
		}
		calls = scriptedCalls(req, a.toolUse)
	default:
		calls = toolCalls(req)
		if len(calls) > 0 {
			text = toolLead(calls)
		} else {
			var ok bool
			if text, ok = toolResultAnswer(req); !ok {
				text = answerText(req)
			}
			if pv, ok := promptAnswer(req); ok {
				text = pv
			}
			// outputConfig: the answer is JSON valid against the schema (output.go).
			if structured, ok, err := structuredAnswer(req); err != nil {
				return r, err
			} else if ok {
				text = structured
			} else {
				cites = citationsOf(req)
			}
		}
	}

	if rs := reasoningOf(req); rs.enabled && m.canReason(c) {
		if err := checkThinking(rs, req.InferenceConfig); err != nil {
			return r, err
		}
		rt := reasoningText(req, calls, rs.words)
		r.blocks = append(r.blocks, replyBlock{chunks: splitWords(rt), signature: signature(c.ModelID, rt)})
		r.outputTokens += m.opts.Tokens.Text(rt)
	}
	if text != "" {
		chunks, stop := m.cut(splitWords(text), req.InferenceConfig)
		r.stop = stop
		if len(chunks) > 0 {
			r.blocks = append(r.blocks, replyBlock{chunks: chunks})
			r.outputTokens += m.opts.Tokens.Text(strings.Join(chunks, ""))
		}
		if stop != wire.StopReasonEndTurn {
			calls, cites = nil, nil // cut short before any tool call or citation
		}
	}
	m.addCitations(&r, cites, req.InferenceConfig)
	if len(calls) > 0 {
		r.stop = wire.StopReasonToolUse
		for i := range calls {
			tc := &calls[i]
			r.blocks = append(r.blocks, replyBlock{toolUse: tc, chunks: splitRunes(string(tc.Input), 16)})
			r.outputTokens += m.opts.Tokens.Text(tc.Name) + m.opts.Tokens.Text(string(tc.Input))
		}
	}
	if a != nil {
		if a.stopReason != "" {
			r.stop = a.stopReason
		}
		r.usageSet = a.usage
	}
	return r, nil
}

// addCitations appends the citationsContent blocks while maxTokens leaves
// room for them; one that does not fit ends the answer with max_tokens.
func (m *Model) addCitations(r *reply, cites []citedBlock, ic *wire.InferenceConfiguration) {
	for i := range cites {
		n := m.opts.Tokens.Text(cites[i].text)
		if ic != nil && ic.MaxTokens != nil && r.outputTokens+n > *ic.MaxTokens {
			r.stop = wire.StopReasonMaxTokens
			return
		}
		r.blocks = append(r.blocks, replyBlock{chunks: splitWords(cites[i].text), cited: &cites[i]})
		r.outputTokens += n
	}
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

// pieceDelay is the time generating s takes at tps tokens per second.
func (m *Model) pieceDelay(s string, tps float64) time.Duration {
	if tps <= 0 {
		return 0
	}
	return tokenDelay(m.opts.Tokens.Text(s), tps)
}

func tokenDelay(n int, tps float64) time.Duration {
	if tps <= 0 {
		return 0
	}
	return time.Duration(float64(n) / tps * float64(time.Second))
}

func (r *reply) usage() *wire.TokenUsage {
	u := &wire.TokenUsage{InputTokens: r.inputTokens, OutputTokens: r.outputTokens}
	o := r.usageSet
	if o == nil {
		u.TotalTokens = u.InputTokens + u.OutputTokens
		return u
	}
	if o.InputTokens != nil {
		u.InputTokens = *o.InputTokens
	}
	if o.OutputTokens != nil {
		u.OutputTokens = *o.OutputTokens
	}
	u.TotalTokens = u.InputTokens + u.OutputTokens
	if o.CacheReadInputTokens != nil {
		u.CacheReadInputTokens = wire.Ptr(*o.CacheReadInputTokens)
		u.TotalTokens += *o.CacheReadInputTokens
	}
	if o.CacheWriteInputTokens != nil {
		u.CacheWriteInputTokens = wire.Ptr(*o.CacheWriteInputTokens)
		u.TotalTokens += *o.CacheWriteInputTokens
	}
	if o.TotalTokens != nil {
		u.TotalTokens = *o.TotalTokens
	}
	return u
}

// Converse answers in one piece, after the time to first token (and, with
// PaceConverse or a scripted tokensPerSecond, the time the whole answer
// would take to generate at that pace).
func (m *Model) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	start := m.opts.Now()
	a := m.choose(c, false)
	p := m.pace(a)
	if err := pause(ctx, p.delay); err != nil {
		return nil, err
	}
	if a != nil && a.exception != nil {
		// A call that fails partway fails whole when nothing streams; the
		// stream-only exception becomes the model error Converse carries.
		ex := *a.exception
		if ex.Type == wire.ModelStreamErrorException {
			ex.Type = wire.ModelErrorException
		}
		return nil, &ex
	}
	r, err := m.reply(c, a)
	if err != nil {
		return nil, err
	}
	wait := p.ttft
	if m.opts.PaceConverse || (a != nil && a.tokensPerSecond != nil) {
		wait += tokenDelay(r.outputTokens, p.tps)
	}
	if err := pause(ctx, wait); err != nil {
		return nil, err
	}
	content := make([]wire.ContentBlock, 0, len(r.blocks))
	for _, b := range r.blocks {
		switch {
		case b.toolUse != nil:
			content = append(content, wire.ContentBlock{ToolUse: b.toolUse})
		case b.signature != "":
			content = append(content, wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
				ReasoningText: &wire.ReasoningTextBlock{Text: b.text(), Signature: b.signature},
			}})
		case b.cited != nil:
			content = append(content, wire.ContentBlock{CitationsContent: &wire.CitationsContentBlock{
				Content:   []wire.CitationGeneratedContent{{Text: wire.Ptr(b.text())}},
				Citations: []wire.Citation{b.cited.citation},
			}})
		default:
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

// ConverseStream yields the same answer as Converse in word-sized deltas,
// in Bedrock's event order. A scripted failure after N events ends the
// stream with the exception, which the server sends as an exception frame.
func (m *Model) ConverseStream(ctx context.Context, c *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		start := m.opts.Now()
		a := m.choose(c, true)
		p := m.pace(a)
		if err := pause(ctx, p.delay); err != nil {
			yield(nil, err)
			return
		}
		failAfter := -1
		if a != nil && a.exception != nil {
			if a.failAfter <= 0 {
				yield(nil, a.exception)
				return
			}
			failAfter = a.failAfter
		}
		r, err := m.reply(c, a)
		if err != nil {
			yield(nil, err)
			return
		}
		if err := pause(ctx, p.ttft); err != nil {
			yield(nil, err)
			return
		}
		sent := 0
		// emit yields one event, or the scripted exception once failAfter
		// events went out; it reports whether the stream goes on.
		emit := func(ev *wire.StreamEvent) bool {
			if sent == failAfter {
				yield(nil, a.exception)
				return false
			}
			sent++
			return yield(ev, nil)
		}
		if !emit(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}) {
			return
		}
		for i, b := range r.blocks {
			if !m.streamBlock(ctx, i, &b, p.tps, emit, func(err error) { yield(nil, err) }) {
				return
			}
		}
		if !emit(&wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: r.stop}}) {
			return
		}
		if !emit(&wire.StreamEvent{Metadata: &wire.ConverseStreamMetadataEvent{
			Usage:   r.usage(),
			Metrics: &wire.ConverseStreamMetrics{LatencyMs: m.opts.Now().Sub(start).Milliseconds()},
		}}) {
			return
		}
		if failAfter >= 0 {
			// failAfter exceeds the answer's events: fail at the end.
			yield(nil, a.exception)
		}
	}
}

// streamBlock sends one block: contentBlockStart for tool calls only (text
// and reasoning blocks start with their first delta, as on Bedrock), the
// deltas (for reasoning: text, then one signature delta; for a cited
// block: the citation, then text), then contentBlockStop. It reports whether the stream goes on.
func (m *Model) streamBlock(ctx context.Context, i int, b *replyBlock, tps float64, emit func(*wire.StreamEvent) bool, fail func(error)) bool {
	if b.toolUse != nil {
		start := &wire.ContentBlockStartEvent{ContentBlockIndex: i, Start: &wire.ContentBlockStart{
			ToolUse: &wire.ToolUseBlockStart{ToolUseID: b.toolUse.ToolUseID, Name: b.toolUse.Name},
		}}
		if !emit(&wire.StreamEvent{ContentBlockStart: start}) {
			return false
		}
	}
	delta := func(d *wire.ContentBlockDelta) bool {
		return emit(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: i, Delta: d}})
	}
	// A cited block opens with its citation, then streams its text, as
	// Claude's citations_delta precedes the text it supports.
	if b.cited != nil && !delta(&wire.ContentBlockDelta{Citation: b.cited.delta()}) {
		return false
	}
	for _, chunk := range b.chunks {
		if err := pause(ctx, m.pieceDelay(chunk, tps)); err != nil {
			fail(err)
			return false
		}
		var d *wire.ContentBlockDelta
		switch {
		case b.toolUse != nil:
			d = &wire.ContentBlockDelta{ToolUse: &wire.ToolUseBlockDelta{Input: chunk}}
		case b.signature != "":
			d = &wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Text: wire.Ptr(chunk)}}
		default:
			d = &wire.ContentBlockDelta{Text: wire.Ptr(chunk)}
		}
		if !delta(d) {
			return false
		}
	}
	if b.signature != "" && !delta(&wire.ContentBlockDelta{ReasoningContent: &wire.ReasoningContentBlockDelta{Signature: wire.Ptr(b.signature)}}) {
		return false
	}
	return emit(&wire.StreamEvent{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: i}})
}
