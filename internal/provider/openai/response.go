package openai

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// chatCompletion is a non-streaming response body.
type chatCompletion struct {
	ID      string       `json:"id"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage"`
}

type chatChoice struct {
	Index   int `json:"index"`
	Message struct {
		Content *string `json:"content"`
		// Reasoning text: reasoning_content (vLLM, DeepSeek, llama.cpp),
		// reasoning (Ollama, newer vLLM).
		ReasoningContent *string    `json:"reasoning_content"`
		Reasoning        *string    `json:"reasoning"`
		ToolCalls        []toolCall `json:"tool_calls"`
	} `json:"message"`
	FinishReason *string `json:"finish_reason"`
	// StopReason is vLLM's: the stop string (or token id) that ended the
	// completion.
	StopReason json.RawMessage `json:"stop_reason"`
}

// Converse sends the request and translates the whole answer.
func (p *Provider) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	start := p.now()
	body, err := p.buildRequest(c.Request, c.UpstreamModel, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.post(ctx, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := p.up.ReadBody(ctx, resp.Body)
	if err != nil {
		return nil, err
	}
	out, err := p.translateResponse(raw, c.Request)
	if err != nil {
		return nil, err
	}
	out.Metrics = &wire.ConverseMetrics{LatencyMs: p.now().Sub(start).Milliseconds()}
	return out, nil
}

// translateResponse turns a chat completion body into a Converse response
// (without metrics).
func (p *Provider) translateResponse(raw []byte, req *wire.ConverseRequest) (*wire.ConverseResponse, error) {
	var cc chatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil {
		return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent a response that is not a chat completion.", p.name), OriginalStatusCode: 200}
	}
	var ch *chatChoice
	for i := range cc.Choices {
		if cc.Choices[i].Index == 0 {
			ch = &cc.Choices[i]
			break
		}
	}
	if ch == nil {
		return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent a chat completion without choices.", p.name), OriginalStatusCode: 200}
	}
	content := []wire.ContentBlock{}
	if r := reasoningText(ch.Message.ReasoningContent, ch.Message.Reasoning); r != "" {
		content = append(content, wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{ReasoningText: &wire.ReasoningTextBlock{Text: r}}})
	}
	if ch.Message.Content != nil && *ch.Message.Content != "" {
		content = append(content, wire.ContentBlock{Text: wire.Ptr(*ch.Message.Content)})
	}
	malformed := false
	for _, tc := range ch.Message.ToolCalls {
		input, ok := toolInput(tc.Function.Arguments)
		name := tc.Function.Name
		if name == "" {
			// Bedrock requires a tool name: a call without one is malformed.
			name, ok = "unnamed_tool", false
		}
		malformed = malformed || !ok
		content = append(content, wire.ContentBlock{ToolUse: &wire.ToolUseBlock{
			ToolUseID: p.toolUseID(tc.ID), Name: name, Input: input,
		}})
	}
	stop := stopReason(ch.FinishReason, ch.StopReason, req, len(ch.Message.ToolCalls) > 0)
	if malformed {
		stop = wire.StopReasonMalformedToolUse
	}
	return &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: content}},
		StopReason: stop,
		Usage:      convertUsage(cc.Usage),
	}, nil
}

func reasoningText(a, b *string) string {
	if a != nil && *a != "" {
		return *a
	}
	if b != nil {
		return *b
	}
	return ""
}

// toolInput parses a tool call's arguments string. Empty arguments (a tool
// without parameters, as some servers send it) are an empty object; text
// that is not a JSON object is reported as not ok, with an empty object in
// its place so the response stays well-formed.
func toolInput(args string) (wire.Document, bool) {
	s := strings.TrimSpace(args)
	if s == "" {
		return wire.Document("{}"), true
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
		return wire.Document("{}"), false
	}
	return wire.Document(s), true
}

// stopReason maps finish_reason to Bedrock's stopReason. "stop" is a stop
// sequence when the server says which one matched (vLLM's stop_reason) and
// it is one the request asked for; with tool calls present it is tool_use
// (Ollama answers "stop" even when it called tools).
func stopReason(finish *string, matched json.RawMessage, req *wire.ConverseRequest, hasTools bool) wire.StopReason {
	f := ""
	if finish != nil {
		f = *finish
	}
	switch f {
	case "length":
		return wire.StopReasonMaxTokens
	case "tool_calls", "function_call":
		return wire.StopReasonToolUse
	case "content_filter":
		return wire.StopReasonContentFiltered
	}
	if hasTools {
		return wire.StopReasonToolUse
	}
	var seq string
	if f == "stop" && json.Unmarshal(matched, &seq) == nil && seq != "" && req != nil && req.InferenceConfig != nil {
		for _, s := range req.InferenceConfig.StopSequences {
			if s == seq {
				return wire.StopReasonStopSequence
			}
		}
	}
	return wire.StopReasonEndTurn
}

// toolUseID keeps the upstream's tool-call ID when Bedrock's pattern
// ([a-zA-Z0-9_.:-]{1,64}) allows it, cleans it up otherwise, and makes one
// when the server sent none (Gemini's compatible endpoint sends "").
func (p *Provider) toolUseID(id string) string {
	if id == "" {
		return p.newID()
	}
	b := []byte(id)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// randomToolUseID makes an ID in the style of Bedrock's (tooluse_ and 22
// characters), unique within any conversation.
func randomToolUseID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 22)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "tooluse_" + string(b)
}
