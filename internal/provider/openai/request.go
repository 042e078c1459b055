package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// chatRequest is the body of POST /chat/completions, limited to what a
// Converse request can express. additionalModelRequestFields are merged
// into its JSON afterwards.
type chatRequest struct {
	Model          string          `json:"model"`
	Messages       []chatMessage   `json:"messages"`
	MaxTokens      *int            `json:"max_tokens,omitempty"`
	Temperature    *float32        `json:"temperature,omitempty"`
	TopP           *float32        `json:"top_p,omitempty"`
	Stop           []string        `json:"stop,omitempty"`
	Tools          []chatTool      `json:"tools,omitempty"`
	ToolChoice     any             `json:"tool_choice,omitempty"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
	ServiceTier    string          `json:"service_tier,omitempty"`
	Stream         bool            `json:"stream,omitempty"`
	StreamOptions  *streamOptions  `json:"stream_options,omitempty"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// chatMessage is one message; Content is a string, a list of parts, or
// null (an assistant message that only calls tools).
type chatMessage struct {
	Role       string     `json:"role"`
	Content    any        `json:"content"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL string `json:"url"`
}

type toolCall struct {
	// Index is set only in stream deltas.
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function functionCall `json:"function"`
}

type functionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type chatTool struct {
	Type     string       `json:"type"`
	Function functionSpec `json:"function"`
}

type functionSpec struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict,omitempty"`
}

type namedToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	Strict      bool            `json:"strict"`
}

// reservedFields may not be set through additionalModelRequestFields: the
// translation owns them.
var reservedFields = []string{"model", "messages", "stream", "stream_options"}

// buildRequest translates a Converse request into the JSON body for model.
// Content the backend cannot take is a ValidationException that says so.
func (p *Provider) buildRequest(in *wire.ConverseRequest, model string, stream bool) ([]byte, error) {
	if err := p.CheckFields(in); err != nil {
		return nil, err
	}
	out := chatRequest{Model: model, Messages: []chatMessage{}, ServiceTier: serviceTier(in.ServiceTier)}
	if sys := p.systemText(in.System); sys != "" {
		out.Messages = append(out.Messages, chatMessage{Role: "system", Content: sys})
	}
	for i, m := range in.Messages {
		msgs, err := p.messages(m)
		if err != nil {
			return nil, fmt.Errorf("messages.%d: %w", i, err)
		}
		out.Messages = append(out.Messages, msgs...)
	}
	if ic := in.InferenceConfig; ic != nil {
		out.MaxTokens = ic.MaxTokens
		out.Temperature = ic.Temperature
		out.TopP = ic.TopP
		out.Stop = ic.StopSequences
	}
	if tc := in.ToolConfig; tc != nil {
		tools, choice, err := p.tools(tc)
		if err != nil {
			return nil, err
		}
		out.Tools, out.ToolChoice = tools, choice
	}
	if oc := in.OutputConfig; oc != nil && oc.TextFormat != nil && oc.TextFormat.Structure != nil && oc.TextFormat.Structure.JSONSchema != nil {
		js := oc.TextFormat.Structure.JSONSchema
		if !json.Valid([]byte(js.Schema)) {
			return nil, wire.Errorf(wire.ValidationException, "outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON.")
		}
		name := js.Name
		if name == "" {
			name = "response"
		}
		out.ResponseFormat = &responseFormat{Type: "json_schema", JSONSchema: &jsonSchema{
			Name: name, Description: js.Description, Schema: json.RawMessage(js.Schema), Strict: true,
		}}
	}
	if stream {
		out.Stream = true
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	body, err := marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode chat request: %w", err)
	}
	if len(bytes.TrimSpace(in.AdditionalModelRequestFields)) == 0 || string(bytes.TrimSpace(in.AdditionalModelRequestFields)) == "null" {
		return body, nil
	}
	return mergeFields(body, in.AdditionalModelRequestFields)
}

// marshal encodes v without escaping <, > and &, which are common in
// prompts and documents and need no escaping outside HTML.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// mergeFields adds the members of extra to the top level of body; they
// override the translated values (e.g. max_completion_tokens for OpenAI's
// reasoning models replaces max_tokens).
func mergeFields(body []byte, extra wire.Document) ([]byte, error) {
	var add map[string]json.RawMessage
	if err := json.Unmarshal(extra, &add); err != nil || add == nil {
		return nil, wire.Errorf(wire.ValidationException, "additionalModelRequestFields must be a JSON object for this model.")
	}
	for _, k := range reservedFields {
		if _, ok := add[k]; ok {
			return nil, wire.Errorf(wire.ValidationException, "additionalModelRequestFields may not set %q.", k)
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("re-read chat request: %w", err)
	}
	for k, v := range add {
		m[k] = v
	}
	if _, ok := add["max_completion_tokens"]; ok {
		delete(m, "max_tokens")
	}
	out, err := marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode chat request: %w", err)
	}
	return out, nil
}

// systemText joins the system blocks into one system message: several
// system messages, or one in the middle, break some chat templates
// (llama.cpp, Mistral). cachePoint blocks carry no text.
func (p *Provider) systemText(blocks []wire.SystemContentBlock) string {
	var parts []string
	for _, b := range blocks {
		switch {
		case b.Text != nil:
			parts = append(parts, *b.Text)
		case b.GuardContent != nil && b.GuardContent.Text != nil:
			parts = append(parts, b.GuardContent.Text.Text)
		}
	}
	return strings.Join(parts, "\n\n")
}

// messages translates one Converse message. A user message with tool
// results becomes one "tool" message per result, followed by a user
// message with the rest of its content, since OpenAI requires the tool
// messages right after the assistant message that called the tools.
func (p *Provider) messages(m wire.Message) ([]chatMessage, error) {
	switch m.Role {
	case wire.ConversationRoleAssistant:
		msg, err := p.assistantMessage(m.Content)
		if err != nil {
			return nil, err
		}
		if msg == nil {
			return nil, nil
		}
		return []chatMessage{*msg}, nil
	case wire.ConversationRoleUser, wire.ConversationRoleSystem:
	default:
		return nil, wire.Errorf(wire.ValidationException, "Unsupported message role %q.", m.Role)
	}
	var out []chatMessage
	var parts []contentPart
	for j, b := range m.Content {
		if b.ToolResult != nil {
			msg, err := p.toolMessage(b.ToolResult)
			if err != nil {
				return nil, fmt.Errorf("content.%d: %w", j, err)
			}
			out = append(out, msg)
			continue
		}
		ps, err := p.parts(b)
		if err != nil {
			return nil, fmt.Errorf("content.%d: %w", j, err)
		}
		parts = append(parts, ps...)
	}
	if len(parts) > 0 {
		out = append(out, chatMessage{Role: string(m.Role), Content: partsContent(parts)})
	}
	return out, nil
}

// partsContent is a plain string for text-only content (the form every
// OpenAI-compatible server accepts) and a list of parts otherwise.
func partsContent(parts []contentPart) any {
	if len(parts) == 1 && parts[0].Type == "text" {
		return parts[0].Text
	}
	return parts
}

// parts translates one user content block.
func (p *Provider) parts(b wire.ContentBlock) ([]contentPart, error) {
	switch {
	case b.Text != nil:
		return []contentPart{{Type: "text", Text: *b.Text}}, nil
	case b.Image != nil:
		part, err := p.imagePart(b.Image)
		if err != nil {
			return nil, err
		}
		return []contentPart{part}, nil
	case b.Document != nil:
		text, err := p.documentText(b.Document)
		if err != nil {
			return nil, err
		}
		return []contentPart{{Type: "text", Text: text}}, nil
	case b.GuardContent != nil:
		if b.GuardContent.Text != nil {
			return []contentPart{{Type: "text", Text: b.GuardContent.Text.Text}}, nil
		}
		if img := b.GuardContent.Image; img != nil && img.Source != nil {
			return p.parts(wire.ContentBlock{Image: &wire.ImageBlock{Format: wire.ImageFormat(img.Format), Source: &wire.ImageSource{Bytes: img.Source.Bytes}}})
		}
		return nil, nil
	case b.SearchResult != nil:
		return []contentPart{{Type: "text", Text: searchResultText(b.SearchResult)}}, nil
	case b.CachePoint != nil, b.ReasoningContent != nil, b.ToolAddition != nil, b.ToolRemoval != nil:
		// Caching is accounted elsewhere; reasoning is the model's own and
		// these servers take none back; tool changes have no equivalent.
		return nil, nil
	case b.CitationsContent != nil:
		return []contentPart{{Type: "text", Text: citationsText(b.CitationsContent)}}, nil
	case b.Video != nil:
		return nil, wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) does not accept video content.", p.name)
	case b.Audio != nil:
		return nil, wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) does not accept audio content.", p.name)
	case b.ToolUse != nil:
		return nil, wire.Errorf(wire.ValidationException, "A toolUse block may only appear in an assistant message.")
	}
	return nil, wire.Errorf(wire.ValidationException, "Unsupported content block for backend %q.", p.name)
}

func (p *Provider) imagePart(img *wire.ImageBlock) (contentPart, error) {
	if img.Source == nil || len(img.Source.Bytes) == 0 {
		return contentPart{}, wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) can only take images sent as bytes, not S3 locations.", p.name)
	}
	mime := "image/" + string(img.Format)
	url := "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(img.Source.Bytes)
	return contentPart{Type: "image_url", ImageURL: &imageURL{URL: url}}, nil
}

// textFormats are the document formats whose bytes are text the model can
// read inline.
var textFormats = map[wire.DocumentFormat]bool{
	wire.DocumentFormatTxt:  true,
	wire.DocumentFormatMd:   true,
	wire.DocumentFormatCsv:  true,
	wire.DocumentFormatHtml: true,
}

// documentText inlines a text-like document with its name, so the model
// can tell it apart from the prompt and refer to it.
func (p *Provider) documentText(d *wire.DocumentBlock) (string, error) {
	var text string
	switch src := d.Source; {
	case src == nil:
		return "", wire.Errorf(wire.ValidationException, "Document %q has no source.", d.Name)
	case src.Text != nil:
		text = *src.Text
	case len(src.Content) > 0:
		var parts []string
		for _, c := range src.Content {
			if c.Text != nil {
				parts = append(parts, *c.Text)
			}
		}
		text = strings.Join(parts, "\n")
	case src.S3Location != nil:
		return "", wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) cannot read documents from S3; send the bytes.", p.name)
	case !textFormats[d.Format]:
		return "", wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) cannot read %s documents (document %q); send the text as a txt or md document or a text block.", p.name, d.Format, d.Name)
	default:
		if !utf8.Valid(src.Bytes) {
			return "", wire.Errorf(wire.ValidationException, "Document %q is a %s document but its bytes are not UTF-8 text.", d.Name, d.Format)
		}
		text = string(src.Bytes)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<document name=%q", d.Name)
	if d.Format != "" {
		fmt.Fprintf(&sb, " format=%q", string(d.Format))
	}
	sb.WriteString(">\n")
	if d.Context != "" {
		sb.WriteString("<context>" + d.Context + "</context>\n")
	}
	sb.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		sb.WriteByte('\n')
	}
	sb.WriteString("</document>")
	return sb.String(), nil
}

func searchResultText(s *wire.SearchResultBlock) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "<search_result source=%q title=%q>\n", s.Source, s.Title)
	for _, c := range s.Content {
		sb.WriteString(c.Text + "\n")
	}
	sb.WriteString("</search_result>")
	return sb.String()
}

func citationsText(c *wire.CitationsContentBlock) string {
	var sb strings.Builder
	for _, g := range c.Content {
		if g.Text != nil {
			sb.WriteString(*g.Text)
		}
	}
	return sb.String()
}

// assistantMessage turns an assistant turn of the history into one message
// with its text and tool calls; nil when nothing is left (e.g. only
// reasoning).
func (p *Provider) assistantMessage(blocks []wire.ContentBlock) (*chatMessage, error) {
	var text []string
	var calls []toolCall
	for j, b := range blocks {
		switch {
		case b.Text != nil:
			text = append(text, *b.Text)
		case b.CitationsContent != nil:
			text = append(text, citationsText(b.CitationsContent))
		case b.ToolUse != nil:
			args, err := compactJSON(b.ToolUse.Input)
			if err != nil {
				return nil, fmt.Errorf("content.%d: %w", j, wire.Errorf(wire.ValidationException, "toolUse %q input is not valid JSON.", b.ToolUse.ToolUseID))
			}
			calls = append(calls, toolCall{ID: b.ToolUse.ToolUseID, Type: "function", Function: functionCall{Name: b.ToolUse.Name, Arguments: args}})
		case b.CachePoint != nil, b.ReasoningContent != nil:
		case b.ToolResult != nil:
			// Server-side tool results (Nova code interpreter) have no
			// OpenAI form; the model's text around them remains.
		default:
			return nil, fmt.Errorf("content.%d: %w", j, wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) takes only text and toolUse blocks in assistant messages.", p.name))
		}
	}
	if len(text) == 0 && len(calls) == 0 {
		return nil, nil
	}
	msg := &chatMessage{Role: "assistant", ToolCalls: calls}
	if len(text) > 0 {
		msg.Content = strings.Join(text, "")
	}
	return msg, nil
}

// compactJSON is the tool input as OpenAI's arguments string; an absent
// input is an empty object.
func compactJSON(doc wire.Document) (string, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return "{}", nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// toolMessage turns a toolResult into a "tool" message. JSON results are
// serialised, texts joined; an error status is stated in the content since
// OpenAI's tool message has no status.
func (p *Provider) toolMessage(r *wire.ToolResultBlock) (chatMessage, error) {
	var parts []string
	for _, c := range r.Content {
		switch {
		case c.Text != nil:
			parts = append(parts, *c.Text)
		case len(c.JSON) > 0:
			s, err := compactJSON(c.JSON)
			if err != nil {
				return chatMessage{}, wire.Errorf(wire.ValidationException, "toolResult %q json is not valid JSON.", r.ToolUseID)
			}
			parts = append(parts, s)
		case c.Document != nil:
			s, err := p.documentText(c.Document)
			if err != nil {
				return chatMessage{}, err
			}
			parts = append(parts, s)
		case c.SearchResult != nil:
			parts = append(parts, searchResultText(c.SearchResult))
		default:
			return chatMessage{}, wire.Errorf(wire.ValidationException, "Backend %q (OpenAI-compatible) takes only text, json and text documents in tool results.", p.name)
		}
	}
	content := strings.Join(parts, "\n")
	if r.Status == wire.ToolResultStatusError {
		content = "Error: " + content
	}
	return chatMessage{Role: "tool", ToolCallID: r.ToolUseID, Content: content}, nil
}

// emptySchema is the parameters of a tool declared without an input schema.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

func (p *Provider) tools(tc *wire.ToolConfiguration) ([]chatTool, any, error) {
	var tools []chatTool
	for i, t := range tc.Tools {
		switch {
		case t.ToolSpec != nil:
			params := emptySchema
			if t.ToolSpec.InputSchema != nil && len(t.ToolSpec.InputSchema.JSON) > 0 {
				params = json.RawMessage(t.ToolSpec.InputSchema.JSON)
			}
			tools = append(tools, chatTool{Type: "function", Function: functionSpec{
				Name: t.ToolSpec.Name, Description: wire.Val(t.ToolSpec.Description), Parameters: params, Strict: t.ToolSpec.Strict,
			}})
		case t.SystemTool != nil:
			return nil, nil, wire.Errorf(wire.ValidationException, "toolConfig.tools.%d: backend %q (OpenAI-compatible) has no system tool %q.", i, p.name, t.SystemTool.Name)
		}
	}
	var choice any
	if c := tc.ToolChoice; c != nil {
		switch {
		case c.Auto != nil:
			choice = "auto"
		case c.Any != nil:
			choice = "required"
		case c.Tool != nil:
			n := namedToolChoice{Type: "function"}
			n.Function.Name = c.Tool.Name
			choice = n
		}
	}
	return tools, choice, nil
}
