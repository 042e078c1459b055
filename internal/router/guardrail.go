package router

import (
	"context"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

// Local guardrails: a call with guardrailConfig is assessed by converse's
// own guardrails (internal/guardrail) before the backend sees the prompt
// and after it answers, as Bedrock does, unless the backend applies the
// guardrail itself (provider.GuardrailForwarder: AWS Bedrock).

// Stream windows: a synchronous stream releases text in windows of about
// streamWindow bytes, holding back streamKeep bytes so that nothing a
// policy matches is split between two windows; a window never grows past
// streamMaxHold.
const (
	streamWindow  = 1000
	streamKeep    = 256
	streamMaxHold = 8 * streamWindow
)

// guard is one call's local guardrail and what it has assessed so far.
type guard struct {
	g          *guardrail.Guardrail
	identifier string
	scope      guardrail.Scope
	trace      bool
	async      bool
	// ground holds the request's grounding sources and queries, which the
	// answer is checked against.
	ground []guardrail.Text

	input       *wire.GuardrailAssessment
	outputs     []wire.GuardrailAssessment
	modelOutput []string
	blocked     bool
	masked      bool
}

// localGuard returns the guardrail converse applies to c on target t, nil
// when the call has none or t applies it itself.
func (r *Router) localGuard(c *provider.Call, t target) (*guard, error) {
	cfg := c.Request.GuardrailConfig
	if cfg == nil {
		return nil, nil
	}
	if f, ok := t.provider.(provider.GuardrailForwarder); ok && f.ForwardsGuardrails() {
		return nil, nil
	}
	g, ok := r.opts.Guardrails.Lookup(cfg.GuardrailIdentifier, cfg.GuardrailVersion)
	if !ok {
		return nil, guardrail.NotFound(cfg.GuardrailIdentifier, cfg.GuardrailVersion)
	}
	gd := &guard{
		g: g, identifier: cfg.GuardrailIdentifier,
		trace: cfg.Trace == wire.GuardrailTraceEnabled || cfg.Trace == wire.GuardrailTraceEnabledFull,
		async: cfg.StreamProcessingMode == wire.GuardrailStreamProcessingModeAsync,
	}
	if cfg.Trace == wire.GuardrailTraceEnabledFull {
		gd.scope = guardrail.Full
	}
	return gd, nil
}

// inputRef says where an assessed text came from in the request.
type inputRef struct {
	system       bool
	msg, block   int
	guardContent bool
}

// guardedInput lists what a guardrail assesses in a request, as Bedrock
// documents it: guardContent blocks of the system prompt; of the
// messages, their guardContent blocks if any has one, else every text
// block. Tool use, tool results and media are not assessed (as on
// Bedrock); guardContent images cannot be, and are refused.
func guardedInput(req *wire.ConverseRequest) ([]guardrail.Text, []inputRef, error) {
	var texts []guardrail.Text
	var refs []inputRef
	add := func(gc *wire.GuardrailConverseContentBlock, ref inputRef, at string) error {
		if gc.Image != nil || gc.Text == nil {
			return wire.Errorf(wire.ValidationException, "%s is a guardContent image; this server's guardrails assess text only. Route the model to Amazon Bedrock to guard images, or send the image as an image block.", at)
		}
		q := make([]wire.GuardrailContentQualifier, len(gc.Text.Qualifiers))
		for i, v := range gc.Text.Qualifiers {
			q[i] = wire.GuardrailContentQualifier(v)
		}
		texts = append(texts, guardrail.Text{Text: gc.Text.Text, Qualifiers: q})
		refs = append(refs, ref)
		return nil
	}
	for i, b := range req.System {
		if b.GuardContent != nil {
			if err := add(b.GuardContent, inputRef{system: true, block: i, guardContent: true}, "system."+itoa(i)); err != nil {
				return nil, nil, err
			}
		}
	}
	tagged := false
	for _, m := range req.Messages {
		for _, b := range m.Content {
			tagged = tagged || b.GuardContent != nil
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			switch {
			case tagged && b.GuardContent != nil:
				if err := add(b.GuardContent, inputRef{msg: i, block: j, guardContent: true}, "messages."+itoa(i)+".content."+itoa(j)); err != nil {
					return nil, nil, err
				}
			case !tagged && b.Text != nil:
				texts = append(texts, guardrail.Text{Text: *b.Text})
				refs = append(refs, inputRef{msg: i, block: j})
			}
		}
	}
	return texts, refs, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkInput assesses the prompt. It returns the call the backend should
// get (with masked text when the guardrail anonymized some) and whether
// the guardrail blocked the prompt.
func (gd *guard) checkInput(c *provider.Call) (*provider.Call, bool, error) {
	texts, refs, err := guardedInput(c.Request)
	if err != nil {
		return nil, false, err
	}
	for _, t := range texts {
		if !slices.Contains(t.Qualifiers, wire.GuardrailContentQualifierGuardContent) && len(t.Qualifiers) > 0 {
			gd.ground = append(gd.ground, t)
		}
	}
	res, err := gd.g.Assess(guardrail.Request{Source: guardrail.Input, Content: texts, Scope: gd.scope})
	if err != nil {
		return nil, false, err
	}
	a := res.Assessment
	a.AppliedGuardrailDetails = gd.g.Details(gd.identifier)
	gd.input = &a
	gd.blocked, gd.masked = res.Blocked, res.Masked
	if res.Blocked || !res.Masked {
		return c, res.Blocked, nil
	}
	cc := *c
	cc.Request = maskRequest(c.Request, texts, refs, res.Texts)
	return &cc, false, nil
}

// maskRequest copies req with the assessed texts replaced by their masked
// forms, leaving the caller's request untouched.
func maskRequest(req *wire.ConverseRequest, texts []guardrail.Text, refs []inputRef, masked []string) *wire.ConverseRequest {
	cp := *req
	cp.System = slices.Clone(req.System)
	cp.Messages = slices.Clone(req.Messages)
	cloned := map[int]bool{}
	for k, ref := range refs {
		if masked[k] == texts[k].Text {
			continue
		}
		s := masked[k]
		var blk *wire.ContentBlock
		if ref.system {
			sb := &cp.System[ref.block]
			sb.GuardContent = maskGuardContent(sb.GuardContent, s)
			continue
		}
		if !cloned[ref.msg] {
			cp.Messages[ref.msg].Content = slices.Clone(cp.Messages[ref.msg].Content)
			cloned[ref.msg] = true
		}
		blk = &cp.Messages[ref.msg].Content[ref.block]
		if ref.guardContent {
			blk.GuardContent = maskGuardContent(blk.GuardContent, s)
		} else {
			blk.Text = &s
		}
	}
	return &cp
}

func maskGuardContent(gc *wire.GuardrailConverseContentBlock, s string) *wire.GuardrailConverseContentBlock {
	g := *gc
	t := *gc.Text
	t.Text = s
	g.Text = &t
	return &g
}

// checkText assesses pieces of the answer (its text blocks, or one
// window of a stream) and returns what the client may see of each, and
// whether the guardrail blocked them: then the only thing to show is the
// blocked message.
func (gd *guard) checkText(parts []string) ([]string, bool, error) {
	content := slices.Clone(gd.ground)
	for _, p := range parts {
		content = append(content, guardrail.Text{Text: p})
	}
	res, err := gd.g.Assess(guardrail.Request{Source: guardrail.Output, Content: content, Scope: gd.scope, NoMasking: gd.async})
	if err != nil {
		return nil, false, err
	}
	a := res.Assessment
	a.AppliedGuardrailDetails = gd.g.Details(gd.identifier)
	gd.outputs = append(gd.outputs, a)
	if res.Blocked || res.Masked {
		gd.modelOutput = append(gd.modelOutput, strings.Join(parts, ""))
	}
	gd.blocked = gd.blocked || res.Blocked
	gd.masked = gd.masked || res.Masked
	if res.Blocked {
		return []string{gd.g.BlockedMessage(guardrail.Output)}, true, nil
	}
	return res.Texts[len(gd.ground):], false, nil
}

// traceOf is the guardrail trace of the call, nil unless the caller asked
// for it (trace enabled or enabled_full).
func (gd *guard) traceOf() *wire.GuardrailTraceAssessment {
	if !gd.trace {
		return nil
	}
	t := &wire.GuardrailTraceAssessment{ModelOutput: slices.Clip(append([]string{}, gd.modelOutput...)), ActionReason: "No action."}
	switch {
	case gd.blocked:
		t.ActionReason = "Guardrail blocked."
	case gd.masked:
		t.ActionReason = "Guardrail masked."
	}
	if gd.input != nil {
		t.InputAssessment = map[string]wire.GuardrailAssessment{gd.g.ID(): *gd.input}
	}
	if len(gd.outputs) > 0 {
		t.OutputAssessments = map[string][]wire.GuardrailAssessment{gd.g.ID(): gd.outputs}
	}
	return t
}

func (gd *guard) intervened() bool { return gd.blocked || gd.masked }

// guardedConverse is converseAttempt under the call's local guardrail.
func (r *Router) guardedConverse(ctx context.Context, c *provider.Call, t target) (*wire.ConverseResponse, error) {
	gd, err := r.localGuard(c, t)
	if err != nil || gd == nil {
		if err != nil {
			return nil, err
		}
		return r.converseAttempt(ctx, c, t)
	}
	began := time.Now()
	cc, blocked, err := gd.checkInput(c)
	if err != nil {
		return nil, err
	}
	if blocked {
		text := gd.g.BlockedMessage(guardrail.Input)
		out := &wire.ConverseResponse{
			Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{{Text: &text}}}},
			StopReason: wire.StopReasonGuardrailIntervened,
			Usage:      &wire.TokenUsage{},
			Metrics:    &wire.ConverseMetrics{LatencyMs: time.Since(began).Milliseconds()},
		}
		out.Trace = traceWith(out.Trace, gd.traceOf())
		return out, nil
	}
	out, err := r.converseAttempt(ctx, cc, t)
	if err != nil || out.Output == nil || out.Output.Message == nil {
		return out, err
	}
	// The answer's text blocks are assessed together; tool use and
	// reasoning are not (as on Bedrock).
	msg := out.Output.Message
	var idx []int
	var parts []string
	for i, b := range msg.Content {
		if b.Text != nil {
			idx = append(idx, i)
			parts = append(parts, *b.Text)
		}
	}
	if len(idx) > 0 {
		seen, blocked, err := gd.checkText(parts)
		if err != nil {
			return nil, err
		}
		m := *msg
		if blocked {
			m.Content = []wire.ContentBlock{{Text: &seen[0]}}
		} else {
			m.Content = slices.Clone(msg.Content)
			for k, i := range idx {
				m.Content[i].Text = &seen[k]
			}
		}
		out.Output = &wire.ConverseOutput{Message: &m}
	}
	if gd.intervened() {
		out.StopReason = wire.StopReasonGuardrailIntervened
	}
	out.Trace = traceWith(out.Trace, gd.traceOf())
	return out, nil
}

func traceWith(t *wire.ConverseTrace, g *wire.GuardrailTraceAssessment) *wire.ConverseTrace {
	if g == nil {
		return t
	}
	if t == nil {
		t = &wire.ConverseTrace{}
	}
	t.Guardrail = g
	return t
}

func streamTraceWith(t *wire.ConverseStreamTrace, g *wire.GuardrailTraceAssessment) *wire.ConverseStreamTrace {
	if g == nil {
		return t
	}
	if t == nil {
		t = &wire.ConverseStreamTrace{}
	}
	t.Guardrail = g
	return t
}

// guardedStream is a stream attempt under the call's local guardrail:
// open(call) starts the backend's stream. In sync mode (Bedrock's
// default) text is held until assessed and released window by window,
// masked where the guardrail anonymizes; in async mode text flows at
// once, is assessed as windows fill, and nothing is masked. A block ends
// the answer with the blocked message and stopReason guardrail_intervened.
func (r *Router) guardedStream(ctx context.Context, c *provider.Call, t target, open func(*provider.Call) iter.Seq2[*wire.StreamEvent, error]) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		gd, err := r.localGuard(c, t)
		if err != nil {
			yield(nil, err)
			return
		}
		if gd == nil {
			for ev, err := range open(c) {
				if !yield(ev, err) {
					return
				}
			}
			return
		}
		began := time.Now()
		cc, blocked, err := gd.checkInput(c)
		if err != nil {
			yield(nil, err)
			return
		}
		if blocked {
			events := []*wire.StreamEvent{{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}}
			events = append(events, gd.endEvents(0, gd.g.BlockedMessage(guardrail.Input), &wire.TokenUsage{}, began)...)
			for _, ev := range events {
				if !yield(ev, nil) {
					return
				}
			}
			return
		}
		s := &streamGuard{r: r, gd: gd, call: cc, began: began, yield: yield}
		for ev, err := range open(cc) {
			if err != nil {
				yield(nil, err)
				return
			}
			if !s.event(ev) {
				return
			}
		}
		s.flush(true)
	}
}

// endEvents close an answer the guardrail blocked: the blocked message
// as the last text of block index, then the stop and metadata events.
func (gd *guard) endEvents(index int, text string, usage *wire.TokenUsage, began time.Time) []*wire.StreamEvent {
	return []*wire.StreamEvent{
		{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: index, Delta: &wire.ContentBlockDelta{Text: &text}}},
		{ContentBlockStop: &wire.ContentBlockStopEvent{ContentBlockIndex: index}},
		{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonGuardrailIntervened}},
		{Metadata: &wire.ConverseStreamMetadataEvent{
			Usage:   usage,
			Metrics: &wire.ConverseStreamMetrics{LatencyMs: time.Since(began).Milliseconds()},
			Trace:   streamTraceWith(nil, gd.traceOf()),
		}},
	}
}

// streamGuard follows one guarded stream.
type streamGuard struct {
	r     *Router
	gd    *guard
	call  *provider.Call
	began time.Time
	yield func(*wire.StreamEvent, error) bool

	index     int             // the text block being held
	held      strings.Builder // its text not yet assessed
	generated strings.Builder // every text the backend sent, for usage when cut short
	done      bool            // the guardrail blocked: the stream is over
}

// event handles one backend event; false ends the stream.
func (s *streamGuard) event(ev *wire.StreamEvent) bool {
	if d := ev.ContentBlockDelta; d != nil && d.Delta != nil && d.Delta.Text != nil {
		s.generated.WriteString(*d.Delta.Text)
		if s.held.Len() > 0 && d.ContentBlockIndex != s.index {
			if !s.flush(true) {
				return false
			}
		}
		s.index = d.ContentBlockIndex
		s.held.WriteString(*d.Delta.Text)
		if s.gd.async && !s.yield(ev, nil) {
			return false
		}
		if s.held.Len() >= streamWindow+streamKeep {
			return s.flush(false)
		}
		return true
	}
	// Anything else ends the text held so far (blocks do not interleave).
	if !s.flush(true) {
		return false
	}
	if ms := ev.MessageStop; ms != nil && s.gd.intervened() {
		stop := *ms
		stop.StopReason = wire.StopReasonGuardrailIntervened
		ev = &wire.StreamEvent{MessageStop: &stop}
	}
	if md := ev.Metadata; md != nil {
		m := *md
		m.Trace = streamTraceWith(md.Trace, s.gd.traceOf())
		ev = &wire.StreamEvent{Metadata: &m}
	}
	return s.yield(ev, nil)
}

// flush assesses held text: all of it when final (the block or stream
// ended), else as much as can be cut off safely. False ends the stream.
func (s *streamGuard) flush(final bool) bool {
	if s.done {
		return false
	}
	text := s.held.String()
	if text == "" {
		return true
	}
	n := len(text)
	if !final {
		n = s.gd.g.Cut(text, streamKeep)
		if n == 0 {
			if len(text) < streamMaxHold {
				return true
			}
			n = len(text) - streamKeep
		}
	}
	chunk := text[:n]
	s.held.Reset()
	s.held.WriteString(text[n:])
	seen, blocked, err := s.gd.checkText([]string{chunk})
	if err != nil {
		s.done = true
		s.yield(nil, err)
		return false
	}
	if blocked {
		s.done = true
		for _, ev := range s.gd.endEvents(s.index, seen[0], s.usage(), s.began) {
			if !s.yield(ev, nil) {
				break
			}
		}
		return false
	}
	if s.gd.async {
		return true // already sent as it came
	}
	return s.yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{ContentBlockIndex: s.index, Delta: &wire.ContentBlockDelta{Text: &seen[0]}}}, nil)
}

// usage estimates a stream the guardrail cut short: the backend's own
// count never arrives, so the prompt and the text generated so far are
// counted offline.
func (s *streamGuard) usage() *wire.TokenUsage {
	in := s.r.opts.Tokens.Converse(tokens.FromRequest(s.call.Request)).Total
	gen := s.generated.String()
	out := s.r.opts.Tokens.Content([]wire.ContentBlock{{Text: &gen}})
	return &wire.TokenUsage{InputTokens: in, OutputTokens: out, TotalTokens: in + out}
}
