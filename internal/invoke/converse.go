package invoke

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// ToConverse returns the Converse request with the same meaning as a
// Messages body, for backends that speak Converse (the built-in model,
// OpenAI-compatible servers through their Converse translation) and for
// counting and cache accounting:
//
//   - system, messages and tools map block for block; cache_control on a
//     block becomes a cachePoint right after it (the same prefix);
//   - max_tokens, temperature, top_p and stop_sequences become
//     inferenceConfig; top_k and thinking go in additionalModelRequestFields,
//     where Converse carries them for Claude;
//   - tool_choice auto, any and tool map to toolChoice; "none" keeps the
//     tool definitions out of the request, as no tool may be called.
//
// What has no Converse equivalent (Anthropic-defined server tools such as
// bash or web search, tool_choice none with tool blocks in the history)
// is refused with a ValidationException naming it, so nothing the caller
// asked for is dropped.
func (r *MessagesRequest) ToConverse(modelID string) (*wire.ConverseRequest, error) {
	out := &wire.ConverseRequest{ModelID: modelID}
	ic := &wire.InferenceConfiguration{MaxTokens: wire.Ptr(r.MaxTokens), StopSequences: r.StopSequences}
	if r.Temperature != nil {
		ic.Temperature = wire.Ptr(float32(*r.Temperature))
	}
	if r.TopP != nil {
		ic.TopP = wire.Ptr(float32(*r.TopP))
	}
	out.InferenceConfig = ic

	fields := map[string]any{}
	if r.TopK != nil {
		fields["top_k"] = *r.TopK
	}
	if r.Thinking != nil && r.Thinking.Type != "disabled" {
		fields["thinking"] = r.Thinking
	}
	if len(r.AnthropicBeta) > 0 {
		fields["anthropic_beta"] = r.AnthropicBeta
	}
	if len(fields) > 0 {
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("encode additional fields: %w", err)
		}
		out.AdditionalModelRequestFields = b
	}

	if r.System != nil {
		for _, b := range r.System.Blocks {
			out.System = append(out.System, wire.SystemContentBlock{Text: b.Text})
			if cp := cachePoint(b.CacheControl); cp != nil {
				out.System = append(out.System, wire.SystemContentBlock{CachePoint: cp})
			}
		}
	}

	toolBlocks := false
	docs := 0
	for i, m := range r.Messages {
		msg := wire.Message{Role: wire.ConversationRole(m.Role)}
		for j, b := range m.Content {
			path := fmt.Sprintf("messages.%d.content.%d", i, j)
			cb, err := contentBlock(&b, path, &docs)
			if err != nil {
				return nil, err
			}
			if cb.ToolUse != nil || cb.ToolResult != nil {
				toolBlocks = true
			}
			msg.Content = append(msg.Content, cb)
			if cp := cachePoint(b.CacheControl); cp != nil {
				msg.Content = append(msg.Content, wire.ContentBlock{CachePoint: cp})
			}
		}
		out.Messages = append(out.Messages, msg)
	}

	if len(r.Tools) > 0 {
		if r.ToolChoice != nil && r.ToolChoice.Type == "none" {
			if toolBlocks {
				return nil, invalidf("tool_choice none with tool_use or tool_result blocks in the messages has no Converse equivalent for this backend: remove tool_choice, or route the model to an anthropic or bedrock backend.")
			}
			return out, nil
		}
		tc := &wire.ToolConfiguration{}
		for i, t := range r.Tools {
			if t.Type != "" && t.Type != "custom" {
				return nil, invalidf("tools.%d: the Anthropic-defined tool type %q is not served by this backend; route the model to an anthropic or bedrock backend, or describe the tool with name, description and input_schema.", i, t.Type)
			}
			tc.Tools = append(tc.Tools, wire.Tool{ToolSpec: &wire.ToolSpecification{
				Name: t.Name, Description: t.Description, InputSchema: &wire.ToolInputSchema{JSON: t.InputSchema},
			}})
			if cp := cachePoint(t.CacheControl); cp != nil {
				tc.Tools = append(tc.Tools, wire.Tool{CachePoint: cp})
			}
		}
		if c := r.ToolChoice; c != nil {
			switch c.Type {
			case "auto":
				tc.ToolChoice = &wire.ToolChoice{Auto: &wire.AutoToolChoice{}}
			case "any":
				tc.ToolChoice = &wire.ToolChoice{Any: &wire.AnyToolChoice{}}
			case "tool":
				tc.ToolChoice = &wire.ToolChoice{Tool: &wire.SpecificToolChoice{Name: c.Name}}
			}
		}
		out.ToolConfig = tc
	}
	return out, nil
}

// WithHeaders lays an InvokeModel call's headers over its Converse
// equivalent, where Converse carries them in the body: the guardrail (with
// its trace and the body's amazon-bedrock-guardrailConfig), the service
// tier, the latency, the request metadata (a JSON object of strings) and
// the project.
func (r *MessagesRequest) WithHeaders(req *wire.ConverseRequest, h Headers) {
	if h.GuardrailIdentifier != "" {
		g := &wire.GuardrailStreamConfiguration{GuardrailIdentifier: h.GuardrailIdentifier, GuardrailVersion: h.GuardrailVersion,
			Trace: wire.GuardrailTrace(strings.ToLower(h.Trace))}
		if r.GuardrailConfig != nil {
			g.StreamProcessingMode = wire.GuardrailStreamProcessingMode(r.GuardrailConfig.StreamProcessingMode)
		}
		req.GuardrailConfig = g
	}
	if h.ServiceTier != "" {
		req.ServiceTier = &wire.ServiceTier{Type: wire.ServiceTierType(h.ServiceTier)}
	}
	if h.PerformanceConfigLatency != "" {
		req.PerformanceConfig = &wire.PerformanceConfiguration{Latency: wire.PerformanceConfigLatency(h.PerformanceConfigLatency)}
	}
	var md map[string]string
	if h.RequestMetadata != "" && json.Unmarshal([]byte(h.RequestMetadata), &md) == nil {
		req.RequestMetadata = md
	}
	req.ProjectIdentifier = h.ProjectIdentifier
}

func cachePoint(cc *CacheControlParam) *wire.CachePointBlock {
	if cc == nil {
		return nil
	}
	cp := &wire.CachePointBlock{Type: wire.CachePointTypeDefault}
	if cc.TTL == "1h" {
		cp.TTL = wire.CacheTTL1h
	}
	return cp
}

func contentBlock(b *ContentParam, path string, docs *int) (wire.ContentBlock, error) {
	switch b.Type {
	case "text":
		return wire.ContentBlock{Text: b.Text}, nil
	case "image":
		img, err := imageBlock(b.Source, path)
		return wire.ContentBlock{Image: img}, err
	case "document":
		d, err := documentBlock(b, path, docs)
		return wire.ContentBlock{Document: d}, err
	case "tool_use":
		return wire.ContentBlock{ToolUse: &wire.ToolUseBlock{ToolUseID: b.ID, Name: b.Name, Input: b.Input}}, nil
	case "tool_result":
		tr := &wire.ToolResultBlock{ToolUseID: b.ToolUseID, Content: []wire.ToolResultContentBlock{}}
		if b.IsError != nil && *b.IsError {
			tr.Status = wire.ToolResultStatusError
		}
		inner, err := contentOf(b.Content)
		if err != nil {
			return wire.ContentBlock{}, invalidf("%s.content: Input should be a valid string or list of blocks", path)
		}
		for k, ib := range inner {
			ipath := fmt.Sprintf("%s.content.%d", path, k)
			switch ib.Type {
			case "text":
				tr.Content = append(tr.Content, wire.ToolResultContentBlock{Text: ib.Text})
			case "image":
				img, err := imageBlock(ib.Source, ipath)
				if err != nil {
					return wire.ContentBlock{}, err
				}
				tr.Content = append(tr.Content, wire.ToolResultContentBlock{Image: img})
			case "document":
				d, err := documentBlock(&ib, ipath, docs)
				if err != nil {
					return wire.ContentBlock{}, err
				}
				tr.Content = append(tr.Content, wire.ToolResultContentBlock{Document: d})
			}
		}
		return wire.ContentBlock{ToolResult: tr}, nil
	case "thinking":
		return wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
			ReasoningText: &wire.ReasoningTextBlock{Text: *b.Thinking, Signature: wire.Val(b.Signature)},
		}}, nil
	case "redacted_thinking":
		return wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{RedactedContent: []byte(*b.Data)}}, nil
	}
	return wire.ContentBlock{}, invalidf("%s: block type %q has no Converse equivalent", path, b.Type)
}

func imageBlock(s *SourceParam, path string) (*wire.ImageBlock, error) {
	if s == nil || s.Type != "base64" {
		return nil, invalidf("%s.image.source: send the image as base64 data.", path)
	}
	data, err := base64.StdEncoding.DecodeString(s.Data)
	if err != nil {
		return nil, invalidf("%s.image.source.data: The data is not valid base64.", path)
	}
	return &wire.ImageBlock{Format: imageTypes[s.MediaType], Source: &wire.ImageSource{Bytes: data}}, nil
}

// badNameRune is what a Converse document name may not contain: only
// letters, digits, whitespace, hyphens, parentheses and square brackets.
var badNameRune = regexp.MustCompile(`[^A-Za-z0-9\s\-()\[\]]+`)

// documentName makes a Converse document name from an Anthropic title,
// which allows any text: other characters become spaces, runs of
// whitespace one space.
func documentName(title *string, n int) string {
	name := ""
	if title != nil {
		name = strings.Join(strings.Fields(badNameRune.ReplaceAllString(*title, " ")), " ")
	}
	if name == "" {
		name = fmt.Sprintf("document %d", n)
	}
	if len(name) > 200 {
		name = strings.TrimSpace(name[:200])
	}
	return name
}

func documentBlock(b *ContentParam, path string, docs *int) (*wire.DocumentBlock, error) {
	*docs++
	d := &wire.DocumentBlock{Name: documentName(b.Title, *docs), Context: wire.Val(b.Context)}
	if len(b.Citations) > 0 {
		var c struct {
			Enabled bool `json:"enabled"`
		}
		if json.Unmarshal(b.Citations, &c) == nil && c.Enabled {
			d.Citations = &wire.CitationsConfig{Enabled: true}
		}
	}
	s := b.Source
	switch s.Type {
	case "base64":
		data, err := base64.StdEncoding.DecodeString(s.Data)
		if err != nil {
			return nil, invalidf("%s.document.source.data: The data is not valid base64.", path)
		}
		d.Format = wire.DocumentFormat("pdf")
		d.Source = &wire.DocumentSource{Bytes: data}
	case "text":
		d.Format = wire.DocumentFormat("txt")
		d.Source = &wire.DocumentSource{Bytes: []byte(s.Data)}
	case "content":
		inner, err := contentOf(s.Content)
		if err != nil {
			return nil, invalidf("%s.document.source.content: Input should be a valid string or list of blocks", path)
		}
		var parts []wire.DocumentContentBlock
		for k, ib := range inner {
			if ib.Type != "text" || ib.Text == nil {
				return nil, invalidf("%s.document.source.content.%d: only text blocks can be translated for this backend", path, k)
			}
			parts = append(parts, wire.DocumentContentBlock{Text: ib.Text})
		}
		d.Format = wire.DocumentFormat("txt")
		d.Source = &wire.DocumentSource{Content: parts}
	default:
		return nil, invalidf("%s.document.source: send the document as base64, text or content.", path)
	}
	return d, nil
}
