package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// request is an encoded Messages API call.
type request struct {
	body   []byte
	stream bool
	// betas are anthropic-beta header values, from the anthropic_beta
	// request field Bedrock's Claude models take in the body.
	betas []string
}

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string        `json:"model"`
	MaxTokens     int           `json:"max_tokens"`
	System        []block       `json:"system,omitempty"`
	Messages      []message     `json:"messages"`
	Tools         []tool        `json:"tools,omitempty"`
	ToolChoice    *toolChoice   `json:"tool_choice,omitempty"`
	Temperature   *float32      `json:"temperature,omitempty"`
	TopP          *float32      `json:"top_p,omitempty"`
	StopSequences []string      `json:"stop_sequences,omitempty"`
	OutputConfig  *outputConfig `json:"output_config,omitempty"`
	ServiceTier   string        `json:"service_tier,omitempty"`
	Stream        bool          `json:"stream,omitempty"`
}

type message struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is every request content block kind in one struct; the type
// member says which fields apply.
type block struct {
	Type string `json:"type"`
	// text
	Text *string `json:"text,omitempty"`
	// image, document (*source); search_result (string)
	Source any `json:"source,omitempty"`
	// document, search_result
	Title     string     `json:"title,omitempty"`
	Context   string     `json:"context,omitempty"`
	Citations *citations `json:"citations,omitempty"`
	// tool_use, server_tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string  `json:"tool_use_id,omitempty"`
	IsError   bool    `json:"is_error,omitempty"`
	Content   []block `json:"content,omitempty"`
	// thinking
	Thinking  *string `json:"thinking,omitempty"`
	Signature *string `json:"signature,omitempty"`
	// redacted_thinking
	Data string `json:"data,omitempty"`

	CacheControl *cacheControl `json:"cache_control,omitempty"`
}

type source struct {
	Type      string  `json:"type"`
	MediaType string  `json:"media_type,omitempty"`
	Data      *string `json:"data,omitempty"`
	Content   []block `json:"content,omitempty"`
}

type citations struct {
	Enabled bool `json:"enabled"`
}

type cacheControl struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

type tool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	Strict       *bool           `json:"strict,omitempty"`
	CacheControl *cacheControl   `json:"cache_control,omitempty"`
}

type toolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type outputConfig struct {
	Format *outputFormat `json:"format,omitempty"`
	Effort string        `json:"effort,omitempty"`
}

type outputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// invalid is a ValidationException whose message names where in the
// Converse request the problem is.
func invalid(path, format string, args ...any) *wire.Exception {
	return wire.Errorf(wire.ValidationException, path+": "+format, args...)
}

// buildRequest translates a Converse request into a Messages API request
// for model.
func (p *Provider) buildRequest(in *wire.ConverseRequest, model string, stream bool) (*request, error) {
	if err := p.CheckFields(in); err != nil {
		return nil, err
	}
	out := messagesRequest{Model: model, MaxTokens: p.maxTokens, Stream: stream, Messages: []message{}, ServiceTier: serviceTier(in.ServiceTier)}
	var err error
	if out.System, err = p.system(in.System); err != nil {
		return nil, err
	}
	for i, m := range in.Messages {
		msg, err := p.message(m, fmt.Sprintf("messages.%d", i))
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msg)
	}
	if in.ToolConfig != nil {
		if out.Tools, out.ToolChoice, err = p.tools(in.ToolConfig); err != nil {
			return nil, err
		}
	}
	if ic := in.InferenceConfig; ic != nil {
		if ic.MaxTokens != nil {
			out.MaxTokens = *ic.MaxTokens
		}
		out.Temperature, out.TopP, out.StopSequences = ic.Temperature, ic.TopP, ic.StopSequences
	}
	if oc := in.OutputConfig; oc != nil {
		cfg := &outputConfig{Effort: oc.Effort}
		if tf := oc.TextFormat; tf != nil && tf.Structure != nil && tf.Structure.JSONSchema != nil {
			schema := tf.Structure.JSONSchema.Schema
			if !json.Valid([]byte(schema)) {
				return nil, invalid("outputConfig.textFormat.structure.jsonSchema.schema", "not valid JSON.")
			}
			cfg.Format = &outputFormat{Type: "json_schema", Schema: json.RawMessage(schema)}
		}
		if cfg.Format != nil || cfg.Effort != "" {
			out.OutputConfig = cfg
		}
	}
	body, err := marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode messages request: %w", err)
	}
	return mergeFields(body, in.AdditionalModelRequestFields, stream)
}

// marshal encodes v without HTML escaping, so prompts stay readable in
// logs and golden files.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// mergeFields lays additionalModelRequestFields over the body (they win,
// so "thinking", "top_k" or even "max_tokens" pass through as on Bedrock).
// Two Bedrock-only fields are handled: anthropic_beta becomes the
// anthropic-beta header and anthropic_version is dropped (Bedrock's body
// version, not the API's). The members this translation owns (model,
// messages, stream) may not be replaced. The result has sorted keys.
func mergeFields(body []byte, extra wire.Document, stream bool) (*request, error) {
	r := &request{stream: stream}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("re-read messages request: %w", err)
	}
	if len(bytes.TrimSpace(extra)) > 0 && string(bytes.TrimSpace(extra)) != "null" {
		var add map[string]json.RawMessage
		if err := json.Unmarshal(extra, &add); err != nil || add == nil {
			return nil, invalid("additionalModelRequestFields", "must be a JSON object for this model.")
		}
		for k, v := range add {
			switch k {
			case "model", "messages", "stream":
				return nil, invalid("additionalModelRequestFields", "may not set %q.", k)
			case "anthropic_version":
				continue
			case "anthropic_beta":
				var betas []string
				if err := json.Unmarshal(v, &betas); err != nil {
					return nil, invalid("additionalModelRequestFields.anthropic_beta", "must be a list of strings.")
				}
				r.betas = betas
				continue
			}
			obj[k] = v
		}
	}
	b, err := marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode messages request: %w", err)
	}
	r.body = b
	return r, nil
}

// cache turns a cachePoint into cache_control. The 5-minute TTL is
// Anthropic's default and is left implicit.
func cache(cp *wire.CachePointBlock) *cacheControl {
	cc := &cacheControl{Type: "ephemeral"}
	if cp.TTL == wire.CacheTTL1h {
		cc.TTL = "1h"
	}
	return cc
}

// markLast puts cache_control on the last block of blocks: a cachePoint
// caches everything up to the block before it.
func markLast(blocks []block, cp *wire.CachePointBlock, path string) error {
	if len(blocks) == 0 {
		return invalid(path, "a cachePoint must follow another block.")
	}
	blocks[len(blocks)-1].CacheControl = cache(cp)
	return nil
}

func (p *Provider) system(in []wire.SystemContentBlock) ([]block, error) {
	var out []block
	for i, b := range in {
		path := fmt.Sprintf("system.%d", i)
		switch {
		case b.Text != nil:
			out = append(out, textBlock(*b.Text))
		case b.GuardContent != nil && b.GuardContent.Text != nil:
			// No guardrails here: guarded text is just text to the model.
			out = append(out, textBlock(b.GuardContent.Text.Text))
		case b.CachePoint != nil:
			if err := markLast(out, b.CachePoint, path); err != nil {
				return nil, err
			}
		default:
			return nil, invalid(path, "backend %q takes only text and cachePoint system blocks.", p.name)
		}
	}
	return out, nil
}

func textBlock(s string) block { return block{Type: "text", Text: &s} }

func (p *Provider) message(m wire.Message, path string) (message, error) {
	if m.Role != wire.ConversationRoleUser && m.Role != wire.ConversationRoleAssistant {
		return message{}, invalid(path+".role", "backend %q takes only user and assistant messages, not %q.", p.name, m.Role)
	}
	out := message{Role: string(m.Role), Content: []block{}}
	for j, b := range m.Content {
		bp := fmt.Sprintf("%s.content.%d", path, j)
		if b.CachePoint != nil {
			if err := markLast(out.Content, b.CachePoint, bp); err != nil {
				return message{}, err
			}
			continue
		}
		blk, ok, err := p.content(b, bp)
		if err != nil {
			return message{}, err
		}
		if ok {
			out.Content = append(out.Content, blk)
		}
	}
	return out, nil
}

// content translates one message content block; ok is false for a block
// that is deliberately left out.
func (p *Provider) content(b wire.ContentBlock, path string) (blk block, ok bool, err error) {
	switch {
	case b.Text != nil:
		return textBlock(*b.Text), true, nil
	case b.Image != nil:
		blk, err := p.image(b.Image, path+".image")
		return blk, err == nil, err
	case b.Document != nil:
		blk, err := p.document(b.Document, path+".document")
		return blk, err == nil, err
	case b.ToolUse != nil:
		return toolUse(b.ToolUse, path+".toolUse")
	case b.ToolResult != nil:
		blk, err := p.toolResult(b.ToolResult, path+".toolResult")
		return blk, err == nil, err
	case b.ReasoningContent != nil:
		rc := b.ReasoningContent
		if rc.RedactedContent != nil {
			// Bedrock carries Anthropic's opaque data string as the bytes.
			return block{Type: "redacted_thinking", Data: string(rc.RedactedContent)}, true, nil
		}
		if rc.ReasoningText == nil || rc.ReasoningText.Signature == "" {
			// Anthropic rejects unsigned thinking (from another model, say);
			// earlier turns' thinking does not reach the model anyway.
			return block{}, false, nil
		}
		return block{Type: "thinking", Thinking: &rc.ReasoningText.Text, Signature: &rc.ReasoningText.Signature}, true, nil
	case b.GuardContent != nil && b.GuardContent.Text != nil:
		return textBlock(b.GuardContent.Text.Text), true, nil
	case b.CitationsContent != nil:
		var sb strings.Builder
		for _, c := range b.CitationsContent.Content {
			if c.Text != nil {
				sb.WriteString(*c.Text)
			}
		}
		return textBlock(sb.String()), sb.Len() > 0, nil
	case b.SearchResult != nil:
		return searchResult(b.SearchResult), true, nil
	case b.Video != nil:
		return block{}, false, invalid(path, "backend %q does not accept video content.", p.name)
	case b.Audio != nil:
		return block{}, false, invalid(path, "backend %q does not accept audio content.", p.name)
	}
	return block{}, false, invalid(path, "unsupported content block for backend %q.", p.name)
}

func toolUse(t *wire.ToolUseBlock, path string) (block, bool, error) {
	input := json.RawMessage(bytes.TrimSpace(t.Input))
	if len(input) == 0 || string(input) == "null" {
		input = json.RawMessage("{}")
	}
	if !json.Valid(input) {
		return block{}, false, invalid(path+".input", "not valid JSON.")
	}
	typ := "tool_use"
	if t.Type == "server_tool_use" {
		typ = "server_tool_use"
	}
	return block{Type: typ, ID: t.ToolUseID, Name: t.Name, Input: input}, true, nil
}

var imageMediaTypes = map[wire.ImageFormat]string{
	wire.ImageFormatPng:  "image/png",
	wire.ImageFormatJpeg: "image/jpeg",
	wire.ImageFormatGif:  "image/gif",
	wire.ImageFormatWebp: "image/webp",
}

func (p *Provider) image(img *wire.ImageBlock, path string) (block, error) {
	mt, ok := imageMediaTypes[img.Format]
	if !ok {
		return block{}, invalid(path+".format", "backend %q does not accept %q images.", p.name, img.Format)
	}
	if img.Source == nil || img.Source.Bytes == nil {
		return block{}, invalid(path+".source", "backend %q takes images as bytes only, not S3 locations.", p.name)
	}
	data := base64.StdEncoding.EncodeToString(img.Source.Bytes)
	return block{Type: "image", Source: &source{Type: "base64", MediaType: mt, Data: &data}}, nil
}

// textFormats are the document formats sent as plain-text documents.
var textFormats = []wire.DocumentFormat{wire.DocumentFormatTxt, wire.DocumentFormatMd, wire.DocumentFormatCsv, wire.DocumentFormatHtml}

// document maps a PDF to a base64 PDF document and text (inline text,
// text content blocks, or txt/md/csv/html bytes) to a plain-text
// document; Anthropic reads no Office formats.
func (p *Provider) document(d *wire.DocumentBlock, path string) (block, error) {
	out := block{Type: "document", Title: d.Name, Context: d.Context}
	if d.Citations != nil {
		out.Citations = &citations{Enabled: d.Citations.Enabled}
	}
	s := d.Source
	switch {
	case s == nil:
		return block{}, invalid(path+".source", "document %q has no source.", d.Name)
	case s.Text != nil:
		out.Source = &source{Type: "text", MediaType: "text/plain", Data: s.Text}
	case s.Content != nil:
		src := &source{Type: "content", Content: []block{}}
		for _, c := range s.Content {
			if c.Text != nil {
				src.Content = append(src.Content, textBlock(*c.Text))
			}
		}
		out.Source = src
	case s.Bytes != nil && d.Format == wire.DocumentFormatPdf:
		data := base64.StdEncoding.EncodeToString(s.Bytes)
		out.Source = &source{Type: "base64", MediaType: "application/pdf", Data: &data}
	case s.Bytes != nil && slices.Contains(textFormats, d.Format):
		if !utf8.Valid(s.Bytes) {
			return block{}, invalid(path+".source.bytes", "document %q is a %s document but its bytes are not UTF-8 text.", d.Name, d.Format)
		}
		text := string(s.Bytes)
		out.Source = &source{Type: "text", MediaType: "text/plain", Data: &text}
	case s.Bytes != nil:
		return block{}, invalid(path+".format", "backend %q cannot read %s documents (document %q); send PDF or text.", p.name, d.Format, d.Name)
	default:
		return block{}, invalid(path+".source", "backend %q cannot read documents from S3; send the bytes.", p.name)
	}
	return out, nil
}

func searchResult(s *wire.SearchResultBlock) block {
	out := block{Type: "search_result", Source: s.Source, Title: s.Title, Content: []block{}}
	for _, c := range s.Content {
		out.Content = append(out.Content, textBlock(c.Text))
	}
	if s.Citations != nil {
		out.Citations = &citations{Enabled: s.Citations.Enabled}
	}
	return out
}

// toolResult maps a toolResult; JSON content is sent as its text, since
// Anthropic's tool results hold only text, image, document and search
// result blocks.
func (p *Provider) toolResult(r *wire.ToolResultBlock, path string) (block, error) {
	out := block{Type: "tool_result", ToolUseID: r.ToolUseID, IsError: r.Status == wire.ToolResultStatusError}
	for k, c := range r.Content {
		cp := fmt.Sprintf("%s.content.%d", path, k)
		switch {
		case c.Text != nil:
			out.Content = append(out.Content, textBlock(*c.Text))
		case c.JSON != nil:
			var buf bytes.Buffer
			if err := json.Compact(&buf, c.JSON); err != nil {
				return block{}, invalid(cp+".json", "not valid JSON.")
			}
			out.Content = append(out.Content, textBlock(buf.String()))
		case c.Image != nil:
			blk, err := p.image(c.Image, cp+".image")
			if err != nil {
				return block{}, err
			}
			out.Content = append(out.Content, blk)
		case c.Document != nil:
			blk, err := p.document(c.Document, cp+".document")
			if err != nil {
				return block{}, err
			}
			out.Content = append(out.Content, blk)
		case c.SearchResult != nil:
			out.Content = append(out.Content, searchResult(c.SearchResult))
		default:
			return block{}, invalid(cp, "backend %q takes only text, json, image, document and searchResult tool results.", p.name)
		}
	}
	return out, nil
}

func (p *Provider) tools(tc *wire.ToolConfiguration) ([]tool, *toolChoice, error) {
	var out []tool
	for i, t := range tc.Tools {
		path := fmt.Sprintf("toolConfig.tools.%d", i)
		switch {
		case t.ToolSpec != nil:
			schema := json.RawMessage(`{"type":"object"}`)
			if t.ToolSpec.InputSchema != nil && len(bytes.TrimSpace(t.ToolSpec.InputSchema.JSON)) > 0 {
				schema = json.RawMessage(t.ToolSpec.InputSchema.JSON)
				if !json.Valid(schema) {
					return nil, nil, invalid(path+".toolSpec.inputSchema.json", "not valid JSON.")
				}
			}
			out = append(out, tool{Name: t.ToolSpec.Name, Description: wire.Val(t.ToolSpec.Description), InputSchema: schema, Strict: t.ToolSpec.Strict})
		case t.CachePoint != nil:
			if len(out) == 0 {
				return nil, nil, invalid(path, "a cachePoint must follow a tool.")
			}
			out[len(out)-1].CacheControl = cache(t.CachePoint)
		case t.SystemTool != nil:
			return nil, nil, invalid(path+".systemTool", "backend %q has no system tool %q.", p.name, t.SystemTool.Name)
		default:
			return nil, nil, invalid(path, "empty tool.")
		}
	}
	var choice *toolChoice
	if c := tc.ToolChoice; c != nil {
		switch {
		case c.Auto != nil:
			choice = &toolChoice{Type: "auto"}
		case c.Any != nil:
			choice = &toolChoice{Type: "any"}
		case c.Tool != nil:
			choice = &toolChoice{Type: "tool", Name: c.Tool.Name}
		}
	}
	return out, choice, nil
}
