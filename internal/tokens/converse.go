package tokens

import (
	"bytes"
	"encoding/json"

	"github.com/conversekit/converse/internal/wire"
)

// Fixed overheads approximating the tokens a chat template adds around
// content. Neither OpenAI nor Anthropic publishes its template; these follow
// OpenAI's cookbook estimate ("How to count tokens with tiktoken": 3 tokens
// per message plus the role) and keep the counts additive, so a prefix never
// costs more than the whole.
const (
	// messageOverhead frames one message: turn start, role, turn end. The
	// system section, when it holds anything, is framed like one message.
	messageOverhead = 4
	// toolOverhead frames one tool definition (toolSpec or systemTool) in
	// the tool list of the prompt.
	toolOverhead = 8
	// blockOverhead frames one structured content block: tool use, tool
	// result, document, search result, tool addition or removal.
	blockOverhead = 3
)

// Section is the part of a request a cache point sits in.
type Section string

// The sections, in the order Bedrock builds its cache prefix.
const (
	SectionTools    Section = "tools"
	SectionSystem   Section = "system"
	SectionMessages Section = "messages"
)

// Input is the part of a request that makes up the prompt.
type Input struct {
	System     []wire.SystemContentBlock
	Messages   []wire.Message
	ToolConfig *wire.ToolConfiguration
}

// FromRequest takes the prompt of a Converse or ConverseStream request.
func FromRequest(r *wire.ConverseRequest) Input {
	if r == nil {
		return Input{}
	}
	return Input{System: r.System, Messages: r.Messages, ToolConfig: r.ToolConfig}
}

// FromTokensRequest takes the prompt of a CountTokens converse input.
func FromTokensRequest(r *wire.ConverseTokensRequest) Input {
	if r == nil {
		return Input{}
	}
	return Input{System: r.System, Messages: r.Messages, ToolConfig: r.ToolConfig}
}

// Count is the size of a prompt.
type Count struct {
	// Total is the number of input tokens of the whole prompt.
	Total int
	// Checkpoints has one entry per cachePoint block, in prefix order:
	// tools, then system, then messages.
	Checkpoints []Checkpoint
	// Blocks is filled by ConverseBlocks only (nil from Converse): Blocks[i]
	// is the number of prompt tokens up to and including the prompt's
	// (i+1)-th block. Blocks are the non-cachePoint elements of
	// toolConfig.tools, system and each message's content, in prefix order,
	// so a prefix ending at any block boundary has a size, as prompt
	// caching's look-back over earlier block boundaries needs.
	Blocks []int
}

// Checkpoint is one cachePoint and the size of the prompt before it.
type Checkpoint struct {
	// Section is where the cache point sits.
	Section Section
	// Message is the index of the message holding the cache point, for
	// SectionMessages; 0 otherwise.
	Message int
	// Block is the cache point's index in its list: toolConfig.tools,
	// system, or the message's content.
	Block int
	// Tokens is the number of prompt tokens before the cache point.
	Tokens int
	// TTL is the cache point's ttl as sent ("" means Bedrock's default, 5m).
	TTL wire.CacheTTL
}

// Converse counts the prompt tokens of in and the prefix size at each cache
// point. Every block is counted on its own and the counts are summed, so the
// count of a prefix never depends on what follows it.
func (c *Counter) Converse(in Input) Count {
	return c.converse(in, false)
}

// ConverseBlocks is Converse that also reports the prefix size at every
// block boundary in Count.Blocks. It is a separate call because only prompt
// caching with look-back needs it, and it allocates one int per block.
func (c *Counter) ConverseBlocks(in Input) Count {
	return c.converse(in, true)
}

func (c *Counter) converse(in Input, blocks bool) Count {
	var out Count
	n := 0
	checkpoint := func(s Section, msg, block int, cp *wire.CachePointBlock) {
		out.Checkpoints = append(out.Checkpoints, Checkpoint{Section: s, Message: msg, Block: block, Tokens: n, TTL: cp.TTL})
	}
	// boundary closes one block: every non-cachePoint element counts as a
	// block, even one that adds no tokens, so block positions agree with
	// anyone walking the same request.
	boundary := func() {
		if blocks {
			out.Blocks = append(out.Blocks, n)
		}
	}

	if in.ToolConfig != nil {
		for i, t := range in.ToolConfig.Tools {
			switch {
			case t.CachePoint != nil:
				checkpoint(SectionTools, 0, i, t.CachePoint)
			case t.ToolSpec != nil:
				n += c.toolSpec(t.ToolSpec)
			case t.SystemTool != nil:
				n += toolOverhead + c.Text(t.SystemTool.Name)
			}
			if t.CachePoint == nil {
				boundary()
			}
		}
	}

	framed := false
	for i, b := range in.System {
		switch {
		case b.CachePoint != nil:
			checkpoint(SectionSystem, 0, i, b.CachePoint)
			continue
		case b.Text != nil:
			n += c.Text(*b.Text)
		case b.GuardContent != nil:
			n += c.guardContent(b.GuardContent)
		default:
			boundary()
			continue
		}
		if !framed {
			n += messageOverhead
			framed = true
		}
		boundary()
	}

	for m, msg := range in.Messages {
		n += messageOverhead
		for i, b := range msg.Content {
			if b.CachePoint != nil {
				checkpoint(SectionMessages, m, i, b.CachePoint)
				continue
			}
			n += c.block(&b)
			boundary()
		}
	}

	out.Total = n
	return out
}

// Content counts content blocks without any message framing: the output
// tokens of a generated assistant message, for instance.
func (c *Counter) Content(blocks []wire.ContentBlock) int {
	n := 0
	for i := range blocks {
		n += c.block(&blocks[i])
	}
	return n
}

func (c *Counter) toolSpec(s *wire.ToolSpecification) int {
	n := toolOverhead + c.Text(s.Name) + c.Text(wire.Val(s.Description))
	if s.InputSchema != nil {
		n += c.json(s.InputSchema.JSON)
	}
	return n
}

func (c *Counter) block(b *wire.ContentBlock) int {
	switch {
	case b.Text != nil:
		return c.Text(*b.Text)
	case b.Image != nil:
		return c.image(b.Image)
	case b.Document != nil:
		return c.document(b.Document)
	case b.Video != nil:
		return c.video(b.Video)
	case b.Audio != nil:
		return c.audio(b.Audio)
	case b.ToolUse != nil:
		return blockOverhead + c.Text(b.ToolUse.ToolUseID) + c.Text(b.ToolUse.Name) + c.json(b.ToolUse.Input)
	case b.ToolResult != nil:
		return c.toolResult(b.ToolResult)
	case b.GuardContent != nil:
		return c.guardContent(b.GuardContent)
	case b.ReasoningContent != nil:
		return c.reasoning(b.ReasoningContent)
	case b.CitationsContent != nil:
		n := 0
		for _, g := range b.CitationsContent.Content {
			if g.Text != nil {
				n += c.Text(*g.Text)
			}
		}
		return n
	case b.SearchResult != nil:
		return c.searchResult(b.SearchResult)
	case b.ToolAddition != nil:
		return blockOverhead + c.toolReference(b.ToolAddition.Tool)
	case b.ToolRemoval != nil:
		return blockOverhead + c.toolReference(b.ToolRemoval.Tool)
	}
	return 0 // cachePoint, or an empty block
}

func (c *Counter) toolResult(r *wire.ToolResultBlock) int {
	n := blockOverhead + c.Text(r.ToolUseID)
	for _, b := range r.Content {
		switch {
		case b.JSON != nil:
			n += c.json(b.JSON)
		case b.Text != nil:
			n += c.Text(*b.Text)
		case b.Image != nil:
			n += c.image(b.Image)
		case b.Document != nil:
			n += c.document(b.Document)
		case b.Video != nil:
			n += c.video(b.Video)
		case b.SearchResult != nil:
			n += c.searchResult(b.SearchResult)
		}
	}
	return n
}

func (c *Counter) guardContent(g *wire.GuardrailConverseContentBlock) int {
	switch {
	case g.Text != nil:
		return c.Text(g.Text.Text)
	case g.Image != nil && g.Image.Source != nil:
		return imageBytesTokens(g.Image.Source.Bytes)
	}
	return 0
}

// reasoning counts reasoning text as text. Redacted reasoning is opaque
// encrypted bytes the model decrypts; we count it at four bytes per token,
// the usual ratio for English text, for want of anything better.
func (c *Counter) reasoning(r *wire.ReasoningContentBlock) int {
	switch {
	case r.ReasoningText != nil:
		return c.Text(r.ReasoningText.Text)
	case r.RedactedContent != nil:
		return ceilDiv(len(r.RedactedContent), 4)
	}
	return 0
}

func (c *Counter) searchResult(s *wire.SearchResultBlock) int {
	n := blockOverhead + c.Text(s.Source) + c.Text(s.Title)
	for _, b := range s.Content {
		n += c.Text(b.Text)
	}
	return n
}

func (c *Counter) toolReference(r *wire.ToolReference) int {
	if r == nil {
		return 0
	}
	return c.Text(r.Type) + c.Text(r.Name) + c.Text(r.ServerName)
}

// json counts a JSON document as its canonical compact text: object keys
// sorted, no insignificant whitespace, numbers as written, no HTML escaping.
// Canonical so that the order of keys in a schema or a tool input, which
// clients do not keep stable, does not change the count. A document that is
// not valid JSON is counted as the text it is.
func (c *Counter) json(doc wire.Document) int {
	if len(doc) == 0 {
		return 0
	}
	return c.Text(canonicalJSON(doc))
}

func canonicalJSON(doc []byte) string {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(doc)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return string(doc)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}
