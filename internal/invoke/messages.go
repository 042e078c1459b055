package invoke

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/conversekit/converse/internal/wire"
)

// BedrockVersion is the anthropic_version every Messages body on Bedrock
// carries instead of the Anthropic API's anthropic-version header.
const BedrockVersion = "bedrock-2023-05-31"

// MessagesRequest is an Anthropic Messages body as Bedrock accepts it: the
// Messages API request without model and stream (the path names the
// model, the operation says whether to stream), with anthropic_version
// and anthropic_beta in the body.
type MessagesRequest struct {
	AnthropicVersion string           `json:"anthropic_version"`
	AnthropicBeta    []string         `json:"anthropic_beta,omitempty"`
	MaxTokens        int              `json:"max_tokens"`
	Messages         []MessageParam   `json:"messages"`
	System           *SystemParam     `json:"system,omitempty"`
	Temperature      *float64         `json:"temperature,omitempty"`
	TopP             *float64         `json:"top_p,omitempty"`
	TopK             *int             `json:"top_k,omitempty"`
	StopSequences    []string         `json:"stop_sequences,omitempty"`
	Tools            []ToolParam      `json:"tools,omitempty"`
	ToolChoice       *ToolChoiceParam `json:"tool_choice,omitempty"`
	Thinking         *ThinkingParam   `json:"thinking,omitempty"`
	// GuardrailConfig is Bedrock's amazon-bedrock-guardrailConfig, which
	// only a request with a guardrail header may carry.
	GuardrailConfig *GuardrailBodyConfig `json:"amazon-bedrock-guardrailConfig,omitempty"`
}

// GuardrailBodyConfig is the body's guardrail settings on InvokeModel.
type GuardrailBodyConfig struct {
	StreamProcessingMode string `json:"streamProcessingMode,omitempty"`
	TagSuffix            string `json:"tagSuffix,omitempty"`
}

// messagesKeys are the top-level keys Claude on Bedrock accepts.
var messagesKeys = map[string]bool{
	"anthropic_version": true, "anthropic_beta": true, "max_tokens": true, "messages": true,
	"system": true, "temperature": true, "top_p": true, "top_k": true, "stop_sequences": true,
	"tools": true, "tool_choice": true, "thinking": true, "amazon-bedrock-guardrailConfig": true,
}

// MessageParam is one turn.
type MessageParam struct {
	Role    string         `json:"role"`
	Content []ContentParam `json:"content"`
}

// UnmarshalJSON accepts content as a string (one text block) or a list.
func (m *MessageParam) UnmarshalJSON(b []byte) error {
	var raw struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m.Role = raw.Role
	blocks, err := contentOf(raw.Content)
	if err != nil {
		return err
	}
	m.Content = blocks
	return nil
}

// contentOf decodes a string-or-blocks content value.
func contentOf(raw json.RawMessage) ([]ContentParam, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []ContentParam{{Type: "text", Text: &s}}, nil
	}
	var blocks []ContentParam
	err := json.Unmarshal(raw, &blocks)
	return blocks, err
}

// SystemParam is the system prompt: a string or text blocks.
type SystemParam struct {
	Blocks []ContentParam
}

// UnmarshalJSON accepts a string or a list of text blocks.
func (s *SystemParam) UnmarshalJSON(b []byte) error {
	blocks, err := contentOf(b)
	s.Blocks = blocks
	return err
}

// MarshalJSON writes the blocks.
func (s SystemParam) MarshalJSON() ([]byte, error) { return json.Marshal(s.Blocks) }

// ContentParam is one content block of a request.
type ContentParam struct {
	Type         string             `json:"type"`
	Text         *string            `json:"text,omitempty"`
	Source       *SourceParam       `json:"source,omitempty"`
	Title        *string            `json:"title,omitempty"`
	Context      *string            `json:"context,omitempty"`
	Citations    json.RawMessage    `json:"citations,omitempty"`
	ID           string             `json:"id,omitempty"`
	Name         string             `json:"name,omitempty"`
	Input        json.RawMessage    `json:"input,omitempty"`
	ToolUseID    string             `json:"tool_use_id,omitempty"`
	Content      json.RawMessage    `json:"content,omitempty"`
	IsError      *bool              `json:"is_error,omitempty"`
	Thinking     *string            `json:"thinking,omitempty"`
	Signature    *string            `json:"signature,omitempty"`
	Data         *string            `json:"data,omitempty"`
	CacheControl *CacheControlParam `json:"cache_control,omitempty"`
}

// SourceParam is where an image's or a document's bytes are.
type SourceParam struct {
	Type      string          `json:"type"`
	MediaType string          `json:"media_type,omitempty"`
	Data      string          `json:"data,omitempty"`
	URL       string          `json:"url,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
}

// CacheControlParam marks the end of a cached prefix.
type CacheControlParam struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

// ToolParam is a client tool (name, description, input_schema) or, with a
// versioned type such as "bash_20250124", an Anthropic-defined tool.
type ToolParam struct {
	Type         string             `json:"type,omitempty"`
	Name         string             `json:"name"`
	Description  *string            `json:"description,omitempty"`
	InputSchema  json.RawMessage    `json:"input_schema,omitempty"`
	CacheControl *CacheControlParam `json:"cache_control,omitempty"`
}

// ToolChoiceParam says how the model must use tools.
type ToolChoiceParam struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// ThinkingParam turns extended thinking on ("enabled" with a budget, or
// "adaptive") or off.
type ThinkingParam struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitempty"`
}

// DecodeMessages decodes and validates a Messages body as Bedrock does
// before the model sees it: the schema's required and extraneous keys,
// types, roles, block types and their required members, ranges.
func DecodeMessages(body []byte) (*MessagesRequest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, malformed("#: expected type: JSONObject, found: " + jsonKind(body))
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !messagesKeys[k] {
			problems = append(problems, fmt.Sprintf("#: extraneous key [%s] is not permitted", k))
		}
	}
	for _, k := range []string{"anthropic_version", "max_tokens", "messages"} {
		if _, ok := top[k]; !ok {
			problems = append(problems, fmt.Sprintf("#: required key [%s] not found", k))
		}
	}
	if len(problems) > 0 {
		return nil, malformed(problems...)
	}
	var req MessagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, malformed("#: " + typeProblem(err))
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	return &req, nil
}

// DecodeMessagesLenient decodes a Messages body without Bedrock's checks,
// for counting and accounting a body that real Bedrock will validate.
func DecodeMessagesLenient(body []byte) (*MessagesRequest, error) {
	var req MessagesRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

func jsonKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '[':
		return "JSONArray"
	case '"':
		return "String"
	}
	return "invalid JSON"
}

func typeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s: expected type: %s, found: %s", strings.ReplaceAll(te.Field, ".", "/"), goKind(te.Type.Kind().String()), te.Value)
	}
	return err.Error()
}

func goKind(k string) string {
	switch k {
	case "int", "int64", "float64", "float32":
		return "Number"
	case "string":
		return "String"
	case "slice":
		return "JSONArray"
	case "struct", "map", "ptr":
		return "JSONObject"
	case "bool":
		return "Boolean"
	}
	return k
}

// validate applies the rules the model enforces beyond the schema, with
// the Anthropic API's wording (Bedrock relays the model's own messages).
func (r *MessagesRequest) validate() error {
	if r.AnthropicVersion != BedrockVersion {
		return malformed(fmt.Sprintf("#/anthropic_version: %q is not a supported version; use %q", r.AnthropicVersion, BedrockVersion))
	}
	if g := r.GuardrailConfig; g != nil {
		if g.StreamProcessingMode != "" && g.StreamProcessingMode != "sync" && g.StreamProcessingMode != "async" {
			return malformed(fmt.Sprintf("#/amazon-bedrock-guardrailConfig/streamProcessingMode: %s is not a valid enum value", g.StreamProcessingMode))
		}
		if g.TagSuffix != "" {
			// Input tags (<amazon-bedrock-guardrails-guardContent_…>) are
			// not read by converse's guardrails: refused, not ignored.
			return invalidf("amazon-bedrock-guardrailConfig.tagSuffix: input tagging is not supported by converse's guardrails; remove tagSuffix and the tags, or route the model to a bedrock backend.")
		}
	}
	if r.MaxTokens < 1 {
		return invalidf("max_tokens: Input should be greater than or equal to 1")
	}
	if len(r.Messages) == 0 {
		return invalidf("messages: at least one message is required")
	}
	if t := r.Temperature; t != nil && (*t < 0 || *t > 1) {
		return invalidf("temperature: range: 0..1")
	}
	if p := r.TopP; p != nil && (*p < 0 || *p > 1) {
		return invalidf("top_p: range: 0..1")
	}
	if k := r.TopK; k != nil && *k < 0 {
		return invalidf("top_k: Input should be greater than or equal to 0")
	}
	for i, s := range r.StopSequences {
		if strings.TrimSpace(s) == "" {
			return invalidf("stop_sequences.%d: each stop sequence must contain non-whitespace", i)
		}
	}
	if r.System != nil {
		for i, b := range r.System.Blocks {
			if b.Type != "text" || b.Text == nil {
				return invalidf("system.%d: system blocks must be text blocks with a text field", i)
			}
			if err := checkCacheControl(b.CacheControl, fmt.Sprintf("system.%d", i)); err != nil {
				return err
			}
		}
	}
	names := map[string]bool{}
	for i, t := range r.Tools {
		path := fmt.Sprintf("tools.%d", i)
		if t.Name == "" {
			return invalidf("%s.name: Field required", path)
		}
		if names[t.Name] {
			return invalidf("tools: Tool names must be unique.")
		}
		names[t.Name] = true
		if t.Type == "" || t.Type == "custom" {
			if len(t.InputSchema) == 0 {
				return invalidf("%s.custom.input_schema: Field required", path)
			}
			var schema map[string]json.RawMessage
			if json.Unmarshal(t.InputSchema, &schema) != nil {
				return invalidf("%s.custom.input_schema: Input should be a valid dictionary", path)
			}
		}
		if err := checkCacheControl(t.CacheControl, path); err != nil {
			return err
		}
	}
	if c := r.ToolChoice; c != nil {
		switch c.Type {
		case "auto", "any", "none":
		case "tool":
			if c.Name == "" {
				return invalidf("tool_choice.tool.name: Field required")
			}
			if !names[c.Name] {
				return invalidf("tool_choice: tool %q is not among the tools", c.Name)
			}
		default:
			return invalidf("tool_choice: Input tag '%s' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'", c.Type)
		}
	}
	if th := r.Thinking; th != nil {
		switch th.Type {
		case "enabled":
			if th.BudgetTokens < 1024 {
				return invalidf("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
			}
			if th.BudgetTokens >= r.MaxTokens {
				return invalidf("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size")
			}
		case "disabled", "adaptive":
		default:
			return invalidf("thinking: Input tag '%s' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'", th.Type)
		}
	}
	for i, m := range r.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return invalidf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		if len(m.Content) == 0 && !(i == len(r.Messages)-1 && m.Role == "assistant") {
			return invalidf("messages.%d: all messages must have non-empty content except for the optional final assistant message", i)
		}
		for j, b := range m.Content {
			if err := checkBlock(&b, fmt.Sprintf("messages.%d.content.%d", i, j), m.Role); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkCacheControl(cc *CacheControlParam, path string) error {
	if cc == nil {
		return nil
	}
	if cc.Type != "ephemeral" {
		return invalidf("%s.cache_control.type: Input should be 'ephemeral'", path)
	}
	if cc.TTL != "" && cc.TTL != "5m" && cc.TTL != "1h" {
		return invalidf("%s.cache_control.ttl: Input should be '5m' or '1h'", path)
	}
	return nil
}

func checkBlock(b *ContentParam, path, role string) error {
	if err := checkCacheControl(b.CacheControl, path); err != nil {
		return err
	}
	required := func(ok bool, field string) error {
		if !ok {
			return invalidf("%s.%s.%s: Field required", path, b.Type, field)
		}
		return nil
	}
	switch b.Type {
	case "text":
		if err := required(b.Text != nil, "text"); err != nil {
			return err
		}
		if *b.Text == "" {
			return invalidf("%s: text content blocks must be non-empty", path)
		}
	case "image", "document":
		if err := required(b.Source != nil, "source"); err != nil {
			return err
		}
		return checkSource(b, path)
	case "tool_use":
		if err := required(b.ID != "", "id"); err != nil {
			return err
		}
		if err := required(b.Name != "", "name"); err != nil {
			return err
		}
		if err := required(len(b.Input) > 0, "input"); err != nil {
			return err
		}
		if role != "assistant" {
			return invalidf("%s: tool_use blocks may only appear in assistant messages", path)
		}
	case "tool_result":
		if err := required(b.ToolUseID != "", "tool_use_id"); err != nil {
			return err
		}
		if role != "user" {
			return invalidf("%s: tool_result blocks may only appear in user messages", path)
		}
		inner, err := contentOf(b.Content)
		if err != nil {
			return invalidf("%s.tool_result.content: Input should be a valid string or list of blocks", path)
		}
		for k, ib := range inner {
			switch ib.Type {
			case "text", "image", "document":
				if err := checkBlock(&ib, fmt.Sprintf("%s.content.%d", path, k), role); err != nil {
					return err
				}
			default:
				return invalidf("%s.content.%d.type: tool_result content may hold text, image and document blocks, not %q", path, k, ib.Type)
			}
		}
	case "thinking":
		if err := required(b.Thinking != nil, "thinking"); err != nil {
			return err
		}
		if err := required(b.Signature != nil, "signature"); err != nil {
			return err
		}
	case "redacted_thinking":
		if err := required(b.Data != nil, "data"); err != nil {
			return err
		}
	case "":
		return invalidf("%s.type: Field required", path)
	default:
		return invalidf("%s: Input tag '%s' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'", path, b.Type)
	}
	return nil
}

var imageTypes = map[string]wire.ImageFormat{
	"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/webp": "webp",
}

func checkSource(b *ContentParam, path string) error {
	s := b.Source
	switch {
	case s.Type == "base64":
		if b.Type == "image" {
			if _, ok := imageTypes[s.MediaType]; !ok {
				return invalidf("%s.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'", path)
			}
		} else if s.MediaType != "application/pdf" {
			return invalidf("%s.document.source.base64.media_type: Input should be 'application/pdf'", path)
		}
		if _, err := base64.StdEncoding.DecodeString(s.Data); err != nil || s.Data == "" {
			return invalidf("%s.%s.source.base64.data: The data is not valid base64.", path, b.Type)
		}
	case s.Type == "text" && b.Type == "document":
		if s.MediaType != "text/plain" {
			return invalidf("%s.document.source.text.media_type: Input should be 'text/plain'", path)
		}
	case s.Type == "content" && b.Type == "document":
		if _, err := contentOf(s.Content); err != nil {
			return invalidf("%s.document.source.content: Input should be a valid string or list of blocks", path)
		}
	case s.Type == "url":
		// Claude on Bedrock reads no URLs: the bytes must be in the body.
		return invalidf("%s.%s.source: URL sources are not supported on Bedrock; send the %s as base64 data.", path, b.Type, b.Type)
	default:
		return invalidf("%s.%s.source.type: %q is not a supported source type", path, b.Type, s.Type)
	}
	return nil
}

// ModelName is the name Claude on Bedrock reports in a response's "model"
// for a model ID: "anthropic.claude-3-haiku-20240307-v1:0" →
// "claude-3-haiku-20240307" (observed: pydantic-ai cassette
// test_anthropic_cache_bedrock_real_api, eu.anthropic.claude-haiku-4-5-20251001-v1:0
// → claude-haiku-4-5-20251001).
func ModelName(baseID string) string {
	name := strings.TrimPrefix(baseID, "anthropic.")
	if i := strings.LastIndex(name, "-v"); i > 0 {
		rest := name[i+2:]
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			name = name[:i]
		}
	}
	return name
}
