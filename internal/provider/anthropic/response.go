package anthropic

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// apiMessage is a non-streaming response body, and the message of
// message_start.
type apiMessage struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Content      []responseBlock `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        *apiUsage       `json:"usage"`
}

// responseBlock is a content block of a response (or of
// content_block_start).
type responseBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Thinking  string          `json:"thinking"`
	Signature string          `json:"signature"`
	Data      string          `json:"data"`
	// Citations of a text block (documents with citations enabled,
	// search results, web search).
	Citations []apiCitation `json:"citations"`
}

// apiCitation is one citation of a text block, or the citation of a
// citations_delta; type says which location members apply. Indexes are
// kept as the API gives them: characters 0-based, pages 1-based, content
// blocks 0-based, ends exclusive.
type apiCitation struct {
	Type      string `json:"type"`
	CitedText string `json:"cited_text"`
	// char_location, page_location, content_block_location
	DocumentIndex  *int   `json:"document_index"`
	DocumentTitle  string `json:"document_title"`
	StartCharIndex *int   `json:"start_char_index"`
	EndCharIndex   *int   `json:"end_char_index"`
	StartPage      *int   `json:"start_page_number"`
	EndPage        *int   `json:"end_page_number"`
	StartBlock     *int   `json:"start_block_index"`
	EndBlock       *int   `json:"end_block_index"`
	// search_result_location
	SearchResultIndex *int   `json:"search_result_index"`
	Source            string `json:"source"`
	Title             string `json:"title"`
	// web_search_result_location
	URL string `json:"url"`
}

// location is where a citation points, in Bedrock's terms: a plain-text
// document's characters are documentChar, a PDF's pages documentPage, a
// custom-content document's blocks documentChunk. nil for a kind Bedrock
// has no location for.
func (c apiCitation) location() *wire.CitationLocation {
	switch c.Type {
	case "char_location":
		return &wire.CitationLocation{DocumentChar: &wire.DocumentCharLocation{DocumentIndex: c.DocumentIndex, Start: c.StartCharIndex, End: c.EndCharIndex}}
	case "page_location":
		return &wire.CitationLocation{DocumentPage: &wire.DocumentPageLocation{DocumentIndex: c.DocumentIndex, Start: c.StartPage, End: c.EndPage}}
	case "content_block_location":
		return &wire.CitationLocation{DocumentChunk: &wire.DocumentChunkLocation{DocumentIndex: c.DocumentIndex, Start: c.StartBlock, End: c.EndBlock}}
	case "search_result_location":
		return &wire.CitationLocation{SearchResultLocation: &wire.SearchResultLocation{SearchResultIndex: c.SearchResultIndex, Start: c.StartBlock, End: c.EndBlock}}
	case "web_search_result_location":
		web := &wire.WebLocation{URL: c.URL}
		if u, err := url.Parse(c.URL); err == nil {
			web.Domain = u.Hostname()
		}
		return &wire.CitationLocation{Web: web}
	}
	return nil
}

// title is the cited source's title: a document's, or a search result's
// or web page's.
func (c apiCitation) title() string {
	if c.DocumentTitle != "" {
		return c.DocumentTitle
	}
	return c.Title
}

// citation maps one Anthropic citation to Bedrock's Citation.
func (c apiCitation) citation() wire.Citation {
	out := wire.Citation{Title: c.title(), Source: c.Source, Location: c.location()}
	if c.CitedText != "" {
		out.SourceContent = []wire.CitationSourceContent{{Text: wire.Ptr(c.CitedText)}}
	}
	return out
}

// delta maps the citation of a citations_delta to Bedrock's CitationsDelta.
func (c apiCitation) delta() *wire.CitationsDelta {
	out := &wire.CitationsDelta{Title: c.title(), Source: c.Source, Location: c.location()}
	if c.CitedText != "" {
		out.SourceContent = []wire.CitationSourceContentDelta{{Text: c.CitedText}}
	}
	return out
}

// textContent is a text block: citationsContent when it carries citations
// (Bedrock's block for cited text: the text as its content, the citations
// beside it), plain text otherwise.
func textContent(b responseBlock) wire.ContentBlock {
	if len(b.Citations) == 0 {
		return wire.ContentBlock{Text: wire.Ptr(b.Text)}
	}
	cc := &wire.CitationsContentBlock{Content: []wire.CitationGeneratedContent{{Text: wire.Ptr(b.Text)}}}
	for _, c := range b.Citations {
		cc.Citations = append(cc.Citations, c.citation())
	}
	return wire.ContentBlock{CitationsContent: cc}
}

// Converse sends the request and translates the whole answer.
func (p *Provider) Converse(ctx context.Context, c *provider.Call) (*wire.ConverseResponse, error) {
	start := p.now()
	r, err := p.buildRequest(c.Request, c.UpstreamModel, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := p.up.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := p.post(ctx, r)
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

// translateResponse turns a Messages API response body into a Converse
// response (without metrics).
func (p *Provider) translateResponse(raw []byte, req *wire.ConverseRequest) (*wire.ConverseResponse, error) {
	var m apiMessage
	if err := json.Unmarshal(raw, &m); err != nil || m.Type != "message" {
		return nil, &wire.Exception{Type: wire.ModelErrorException, Message: fmt.Sprintf("Backend %q sent a response that is not a message.", p.name), OriginalStatusCode: 200}
	}
	content := []wire.ContentBlock{}
	malformed := false
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			content = append(content, textContent(b))
		case "tool_use", "server_tool_use":
			input, ok := toolInput(b.Input)
			malformed = malformed || !ok
			tu := &wire.ToolUseBlock{ToolUseID: b.ID, Name: b.Name, Input: input}
			if b.Type == "server_tool_use" {
				tu.Type = "server_tool_use"
			}
			content = append(content, wire.ContentBlock{ToolUse: tu})
		case "thinking":
			content = append(content, wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
				ReasoningText: &wire.ReasoningTextBlock{Text: b.Thinking, Signature: b.Signature},
			}})
		case "redacted_thinking":
			content = append(content, wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{RedactedContent: []byte(b.Data)}})
		}
		// Other kinds (server tool results such as web_search_tool_result)
		// have no Converse block and are left out.
	}
	stop := stopReason(m.StopReason)
	if malformed {
		stop = wire.StopReasonMalformedToolUse
	}
	out := &wire.ConverseResponse{
		Output:     &wire.ConverseOutput{Message: &wire.Message{Role: wire.ConversationRoleAssistant, Content: content}},
		StopReason: stop,
		Usage:      convertUsage(m.Usage),
	}
	if req != nil {
		out.AdditionalModelResponseFields = responseFields(raw, req.AdditionalModelResponseFieldPaths)
	}
	return out, nil
}

// toolInput checks a tool_use input is a JSON object; a missing input is
// an empty object, anything else not ok (with an empty object in its
// place so the response stays well-formed).
func toolInput(raw json.RawMessage) (wire.Document, bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return wire.Document("{}"), true
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) != nil || obj == nil {
		return wire.Document("{}"), false
	}
	return wire.Document(s), true
}

// stopReason maps Anthropic's stop_reason to Bedrock's. refusal (the
// model's safety classifiers stopped it) is content_filtered. pause_turn (a
// long server-tool turn paused, to be continued by sending the answer
// back) has no Bedrock counterpart and becomes end_turn, as do a missing
// or unknown reason.
func stopReason(s *string) wire.StopReason {
	if s == nil {
		return wire.StopReasonEndTurn
	}
	switch *s {
	case "max_tokens":
		return wire.StopReasonMaxTokens
	case "stop_sequence":
		return wire.StopReasonStopSequence
	case "tool_use":
		return wire.StopReasonToolUse
	case "refusal":
		return wire.StopReasonContentFiltered
	case "model_context_window_exceeded":
		return wire.StopReasonModelContextWindowExceeded
	}
	return wire.StopReasonEndTurn
}

// responseFields answers additionalModelResponseFieldPaths as Bedrock
// does: each JSON Pointer is looked up in the model's native response (the
// message here; message_delta for a stream), found values are copied into
// an object at the same path, missing ones are ignored. nil when nothing
// was asked for or found.
func responseFields(raw []byte, paths []string) wire.Document {
	if len(paths) == 0 {
		return nil
	}
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	out := map[string]any{}
	found := false
	for _, ptr := range paths {
		tokens, ok := splitPointer(ptr)
		if !ok || len(tokens) == 0 {
			continue
		}
		v, ok := lookup(doc, tokens)
		if !ok {
			continue
		}
		put(out, tokens, v)
		found = true
	}
	if !found {
		return nil
	}
	b, err := marshal(out)
	if err != nil {
		return nil
	}
	return b
}

func splitPointer(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
	}
	return parts, true
}

func lookup(v any, tokens []string) (any, bool) {
	for _, t := range tokens {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[t]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// put stores v at tokens inside out, creating objects on the way (array
// indexes become object keys: the result only mirrors the paths).
func put(out map[string]any, tokens []string, v any) {
	for _, t := range tokens[:len(tokens)-1] {
		next, ok := out[t].(map[string]any)
		if !ok {
			next = map[string]any{}
			out[t] = next
		}
		out = next
	}
	out[tokens[len(tokens)-1]] = v
}
