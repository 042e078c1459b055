package chat

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Prompt is an immutable request builder: every method returns a changed
// copy, so a partly built Prompt can be reused and shared.
type Prompt struct {
	c        *Client
	system   []types.SystemContentBlock
	messages []types.Message
	opts     Options
	tools    []Tool
	memory   Memory
	convID   string
	err      error
}

// System appends a system prompt block.
func (p Prompt) System(text string) Prompt {
	p.system = append(slices.Clip(p.system), &types.SystemContentBlockMemberText{Value: text})
	return p
}

// User appends a user message: the text, then the media in order.
func (p Prompt) User(text string, media ...Media) Prompt {
	m := types.Message{Role: types.ConversationRoleUser}
	if text != "" {
		m.Content = append(m.Content, &types.ContentBlockMemberText{Value: text})
	}
	for _, md := range media {
		if md.err != nil && p.err == nil {
			p.err = md.err
		}
		if md.block != nil {
			m.Content = append(m.Content, md.block)
		}
	}
	return p.Messages(m)
}

// Assistant appends an assistant message (few-shot examples, replayed
// history).
func (p Prompt) Assistant(text string) Prompt {
	return p.Messages(types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}})
}

// Messages appends messages as they are.
func (p Prompt) Messages(msgs ...types.Message) Prompt {
	p.messages = append(slices.Clip(p.messages), msgs...)
	return p
}

// Options merges per-call options over the client's defaults (and over
// earlier Options calls), field by field.
func (p Prompt) Options(o Options) Prompt {
	p.opts = p.opts.merge(o)
	return p
}

// Tools adds tools for this call, beside the client's.
func (p Prompt) Tools(tools ...Tool) Prompt {
	p.tools = append(slices.Clip(p.tools), tools...)
	return p
}

// Memory makes the call part of a conversation: its history is read from
// m before the call, and the new messages are added after it succeeds.
func (p Prompt) Memory(m Memory, conversationID string) Prompt {
	p.memory, p.convID = m, conversationID
	return p
}

// Usage counts tokens. InputTokens excludes cached input, which Bedrock
// reports beside it; a call with tool rounds sums its rounds.
type Usage struct {
	InputTokens, OutputTokens, TotalTokens      int
	CacheReadInputTokens, CacheWriteInputTokens int
}

func (u *Usage) add(t *types.TokenUsage) {
	if t == nil {
		return
	}
	u.InputTokens += int(aws.ToInt32(t.InputTokens))
	u.OutputTokens += int(aws.ToInt32(t.OutputTokens))
	u.TotalTokens += int(aws.ToInt32(t.TotalTokens))
	u.CacheReadInputTokens += int(aws.ToInt32(t.CacheReadInputTokens))
	u.CacheWriteInputTokens += int(aws.ToInt32(t.CacheWriteInputTokens))
}

// Response is the answer of a call.
type Response struct {
	// Text is the assistant's text (the tools' results for ReturnDirect).
	Text string
	// Message is the final assistant message.
	Message types.Message
	// Messages are all messages this call added to the conversation: the
	// user's, tool requests and results, and the final answer.
	Messages []types.Message
	// StopReason is why the model stopped (end_turn, max_tokens, …).
	StopReason types.StopReason
	// Usage sums the call's model rounds.
	Usage Usage
	// Latency is the wall time of the call, tool rounds included.
	Latency time.Duration
	// ToolResults are the tool calls run, in order.
	ToolResults []ToolResult
	// Guardrail is the guardrail's assessment of the last round (with
	// Options.Guardrail and its Trace enabled): what each policy found in
	// the prompt (InputAssessment) and the answer (OutputAssessments), and
	// the answer before it was blocked or masked (ModelOutput).
	Guardrail *types.GuardrailTraceAssessment
	// ServiceTier and PerformanceLatency are the processing tier and
	// latency version that served the last round, as Bedrock echoes them.
	ServiceTier        types.ServiceTierType
	PerformanceLatency types.PerformanceConfigLatency
	// Metadata is the raw metadata, under Bedrock's names: inputTokens,
	// outputTokens, totalTokens, cacheReadInputTokens,
	// cacheWriteInputTokens (summed, as Usage), latencyMs and requestId
	// (last round), additionalModelResponseFields when the model sent any,
	// serviceTier and performanceConfig (the latency) when echoed, and
	// guardrailActionReason when the guardrail traced the call.
	Metadata map[string]any
}

// GuardrailIntervened reports whether the guardrail blocked or masked the
// prompt or the answer (stop reason guardrail_intervened): Text is then
// the guardrail's message or the masked answer, not the model's own.
func (r *Response) GuardrailIntervened() bool {
	return r.StopReason == types.StopReasonGuardrailIntervened
}

// Chunk is one piece of a stream: text (or reasoning) as it arrives, a tool
// call once its input is complete, its result once run, and the stop
// reason and usage at the end of each model round.
type Chunk struct {
	Text       string
	Reasoning  string
	ToolCall   *ToolCall
	ToolResult *ToolResult
	StopReason types.StopReason
	// Usage is set on the last chunk of a round (the metadata event),
	// with the guardrail's assessment (when traced), the service tier
	// and the latency version that served the round.
	Usage              *Usage
	Guardrail          *types.GuardrailTraceAssessment
	ServiceTier        types.ServiceTierType
	PerformanceLatency types.PerformanceConfigLatency
}

// request is one round's Converse input under construction.
type request struct {
	system   []types.SystemContentBlock
	tools    []types.Tool
	messages []types.Message
}

// prepared is what a call needs, checked once.
type prepared struct {
	opts    Options
	tools   map[string]Tool
	specs   []types.Tool
	system  []types.SystemContentBlock
	history []types.Message // from memory
	added   []types.Message // this call's messages so far
}

func (p Prompt) prepare(ctx context.Context) (*prepared, error) {
	if p.c == nil {
		return nil, fmt.Errorf("chat: Prompt not made by Client.Prompt")
	}
	if p.err != nil {
		return nil, p.err
	}
	o := p.c.defaults.merge(p.opts)
	if o.Model == "" {
		return nil, ErrNoModel
	}
	if err := o.Guardrail.check(); err != nil {
		return nil, err
	}
	if err := o.Output.check(); err != nil {
		return nil, err
	}
	all := append(slices.Clone(p.c.tools), p.tools...)
	if err := uniqueTools(all); err != nil {
		return nil, err
	}
	pr := &prepared{opts: o, tools: map[string]Tool{}, added: slices.Clone(p.messages), system: slices.Clone(p.system)}
	for _, t := range all {
		if t.err != nil {
			return nil, t.err
		}
		pr.tools[t.name] = t
		pr.specs = append(pr.specs, t.spec())
	}
	if p.memory != nil {
		h, err := p.memory.Get(ctx, p.convID)
		if err != nil {
			return nil, fmt.Errorf("chat memory %q: %w", p.convID, err)
		}
		pr.history = h
	}
	if len(pr.history)+len(pr.added) == 0 {
		return nil, fmt.Errorf("chat: no messages: add User text")
	}
	return pr, nil
}

// round builds the next model request with the cache strategy applied.
func (pr *prepared) round() (*request, error) {
	r := &request{
		system:   slices.Clone(pr.system),
		tools:    slices.Clone(pr.specs),
		messages: append(slices.Clone(pr.history), pr.added...),
	}
	if err := applyCache(r, pr.opts.Cache, pr.opts.Model); err != nil {
		return nil, err
	}
	return r, nil
}

func (pr *prepared) inference() *types.InferenceConfiguration {
	o := pr.opts
	ic := &types.InferenceConfiguration{Temperature: o.Temperature, TopP: o.TopP, StopSequences: o.StopSequences}
	if o.MaxTokens != nil {
		ic.MaxTokens = aws.Int32(int32(*o.MaxTokens))
	}
	return ic
}

func (pr *prepared) toolConfig(r *request) *types.ToolConfiguration {
	if len(r.tools) == 0 {
		return nil
	}
	tc := &types.ToolConfiguration{Tools: r.tools}
	switch pr.opts.ToolChoice.Mode {
	case ToolChoiceAuto:
		tc.ToolChoice = &types.ToolChoiceMemberAuto{}
	case ToolChoiceAny:
		tc.ToolChoice = &types.ToolChoiceMemberAny{}
	case ToolChoiceTool:
		tc.ToolChoice = &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String(pr.opts.ToolChoice.Name)}}
	}
	return tc
}

func (pr *prepared) additional() document.Interface {
	if f := pr.opts.additionalFields(); f != nil {
		return document.NewLazyDocument(f)
	}
	return nil
}

func (pr *prepared) converseInput(r *request) *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId:                      aws.String(pr.opts.Model),
		System:                       r.system,
		Messages:                     r.messages,
		InferenceConfig:              pr.inference(),
		ToolConfig:                   pr.toolConfig(r),
		AdditionalModelRequestFields: pr.additional(),
		GuardrailConfig:              pr.opts.Guardrail.converse(),
		ServiceTier:                  pr.serviceTier(),
		PerformanceConfig:            pr.performance(),
		OutputConfig:                 pr.opts.Output.config(),
	}
}

func (pr *prepared) streamInput(r *request) *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:                      aws.String(pr.opts.Model),
		System:                       r.system,
		Messages:                     r.messages,
		InferenceConfig:              pr.inference(),
		ToolConfig:                   pr.toolConfig(r),
		AdditionalModelRequestFields: pr.additional(),
		GuardrailConfig:              pr.opts.Guardrail.stream(),
		ServiceTier:                  pr.serviceTier(),
		PerformanceConfig:            pr.performance(),
		OutputConfig:                 pr.opts.Output.config(),
	}
}

func (pr *prepared) serviceTier() *types.ServiceTier {
	if pr.opts.ServiceTier == "" {
		return nil
	}
	return &types.ServiceTier{Type: pr.opts.ServiceTier}
}

func (pr *prepared) performance() *types.PerformanceConfiguration {
	if pr.opts.PerformanceLatency == "" {
		return nil
	}
	return &types.PerformanceConfiguration{Latency: pr.opts.PerformanceLatency}
}

// afterTools appends the assistant's tool request and the results; it
// reports whether the call ends here (all ReturnDirect).
//
// Even a direct return keeps the results in the conversation, so a history
// in memory never ends with a tool call that has none.
func (pr *prepared) afterTools(assistant types.Message, results []ToolResult) (bool, error) {
	msg := types.Message{Role: types.ConversationRoleUser}
	for _, r := range results {
		b, err := r.block()
		if err != nil {
			return false, err
		}
		msg.Content = append(msg.Content, b)
	}
	pr.added = append(pr.added, assistant, msg)
	return allDirect(results), nil
}

func (pr *prepared) save(ctx context.Context, p Prompt) error {
	if p.memory == nil {
		return nil
	}
	if err := p.memory.Add(ctx, p.convID, pr.added...); err != nil {
		return fmt.Errorf("chat memory %q: %w", p.convID, err)
	}
	return nil
}

// Call sends the prompt and runs the tool loop until the model answers.
func (p Prompt) Call(ctx context.Context) (*Response, error) {
	start := time.Now()
	pr, err := p.prepare(ctx)
	if err != nil {
		return nil, err
	}
	resp := &Response{Metadata: map[string]any{}}
	firstNew := len(pr.added) - len(p.messages)
	for round := 1; ; round++ {
		r, err := pr.round()
		if err != nil {
			return nil, err
		}
		out, err := p.c.converse(ctx, pr.converseInput(r))
		if err != nil {
			return nil, err
		}
		msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
		if !ok {
			return nil, fmt.Errorf("chat: converse output is %T, want a message", out.Output)
		}
		resp.Message, resp.StopReason = msg.Value, out.StopReason
		resp.Usage.add(out.Usage)
		resp.Metadata["latencyMs"] = aws.ToInt64(metricsLatency(out.Metrics))
		if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok {
			resp.Metadata["requestId"] = id
		}
		if out.AdditionalModelResponseFields != nil {
			var f any
			if err := out.AdditionalModelResponseFields.UnmarshalSmithyDocument(&f); err == nil {
				resp.Metadata["additionalModelResponseFields"] = f
			}
		}
		resp.Guardrail, resp.ServiceTier, resp.PerformanceLatency = nil, "", ""
		if out.Trace != nil {
			resp.Guardrail = out.Trace.Guardrail
		}
		if out.ServiceTier != nil {
			resp.ServiceTier = out.ServiceTier.Type
		}
		if out.PerformanceConfig != nil {
			resp.PerformanceLatency = out.PerformanceConfig.Latency
		}
		calls, err := toolCalls(msg.Value)
		if err != nil {
			return nil, err
		}
		if out.StopReason != types.StopReasonToolUse || len(calls) == 0 {
			pr.added = append(pr.added, msg.Value)
			resp.Text = textOf(msg.Value)
			break
		}
		if round >= pr.opts.MaxToolRounds {
			resp.Text = textOf(msg.Value)
			resp.finish(pr, firstNew, start)
			return nil, &ToolRoundsError{Rounds: round, Last: resp}
		}
		results := runTools(ctx, pr.tools, calls)
		resp.ToolResults = append(resp.ToolResults, results...)
		done, err := pr.afterTools(msg.Value, results)
		if err != nil {
			return nil, err
		}
		if done {
			resp.Text = directText(results)
			break
		}
	}
	resp.finish(pr, firstNew, start)
	if err := pr.save(ctx, p); err != nil {
		return resp, err
	}
	return resp, nil
}

func (r *Response) finish(pr *prepared, firstNew int, start time.Time) {
	r.Messages = slices.Clone(pr.added[max(firstNew, 0):])
	r.Latency = time.Since(start)
	maps.Copy(r.Metadata, map[string]any{
		"inputTokens":           r.Usage.InputTokens,
		"outputTokens":          r.Usage.OutputTokens,
		"totalTokens":           r.Usage.TotalTokens,
		"cacheReadInputTokens":  r.Usage.CacheReadInputTokens,
		"cacheWriteInputTokens": r.Usage.CacheWriteInputTokens,
		"stopReason":            string(r.StopReason),
	})
	if r.ServiceTier != "" {
		r.Metadata["serviceTier"] = string(r.ServiceTier)
	}
	if r.PerformanceLatency != "" {
		r.Metadata["performanceConfig"] = string(r.PerformanceLatency)
	}
	if r.Guardrail != nil && r.Guardrail.ActionReason != nil {
		r.Metadata["guardrailActionReason"] = *r.Guardrail.ActionReason
	}
}

func metricsLatency(m *types.ConverseMetrics) *int64 {
	if m == nil {
		return nil
	}
	return m.LatencyMs
}

func textOf(m types.Message) string {
	var b strings.Builder
	for _, c := range m.Content {
		if t, ok := c.(*types.ContentBlockMemberText); ok {
			b.WriteString(t.Value)
		}
	}
	return b.String()
}

// converse is one model round under the whole-call timeout, retries
// included.
func (c *Client) converse(ctx context.Context, in *bedrockruntime.ConverseInput) (*bedrockruntime.ConverseOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, c.settings.Timeout)
	defer cancel()
	out, err := c.rt.Converse(ctx, in) // retried by the SDK with c.retryer
	if err != nil {
		return nil, fmt.Errorf("converse %s: %w", aws.ToString(in.ModelId), err)
	}
	return out, nil
}
