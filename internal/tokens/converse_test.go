package tokens

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

// Counts of the published strings (tokens_test.go), used to build exact
// expectations without calling the counter.
const (
	greatTokens = 6 // "tiktoken is great!"
	workTokens  = 3 // "It work!!!"
	llmTokens   = 8 // "Large language models predict the next token."
)

func text(s string) wire.ContentBlock { return wire.ContentBlock{Text: wire.Ptr(s)} }

func sysText(s string) wire.SystemContentBlock { return wire.SystemContentBlock{Text: wire.Ptr(s)} }

func user(blocks ...wire.ContentBlock) wire.Message {
	return wire.Message{Role: wire.ConversationRoleUser, Content: blocks}
}

func assistant(blocks ...wire.ContentBlock) wire.Message {
	return wire.Message{Role: wire.ConversationRoleAssistant, Content: blocks}
}

var (
	cachePoint   = &wire.CachePointBlock{Type: wire.CachePointTypeDefault}
	cachePoint1h = &wire.CachePointBlock{Type: wire.CachePointTypeDefault, TTL: wire.CacheTTL1h}
)

func TestConverseExact(t *testing.T) {
	c := newCounter(t)
	tests := []struct {
		name string
		in   Input
		want Count
	}{
		{"empty", Input{}, Count{}},
		{
			"one user message",
			Input{Messages: []wire.Message{user(text("tiktoken is great!"))}},
			Count{Total: messageOverhead + greatTokens},
		},
		{
			"two text blocks in one message add up",
			Input{Messages: []wire.Message{user(text("tiktoken is great!"), text("It work!!!"))}},
			Count{Total: messageOverhead + greatTokens + workTokens},
		},
		{
			"system is framed once",
			Input{
				System:   []wire.SystemContentBlock{sysText("tiktoken is great!"), sysText("It work!!!")},
				Messages: []wire.Message{user(text("Large language models predict the next token."))},
			},
			Count{Total: messageOverhead + greatTokens + workTokens + messageOverhead + llmTokens},
		},
		{
			"cache points in system and messages",
			Input{
				System: []wire.SystemContentBlock{sysText("tiktoken is great!"), {CachePoint: cachePoint1h}},
				Messages: []wire.Message{
					user(text("It work!!!"), wire.ContentBlock{CachePoint: cachePoint}),
					assistant(text("Large language models predict the next token.")),
				},
			},
			Count{
				Total: messageOverhead + greatTokens + messageOverhead + workTokens + messageOverhead + llmTokens,
				Checkpoints: []Checkpoint{
					{Section: SectionSystem, Block: 1, Tokens: messageOverhead + greatTokens, TTL: wire.CacheTTL1h},
					{Section: SectionMessages, Message: 0, Block: 1, Tokens: messageOverhead + greatTokens + messageOverhead + workTokens},
				},
			},
		},
		{
			"a cache point first in system costs nothing before it",
			Input{System: []wire.SystemContentBlock{{CachePoint: cachePoint}, sysText("It work!!!")}},
			Count{
				Total:       messageOverhead + workTokens,
				Checkpoints: []Checkpoint{{Section: SectionSystem, Block: 0, Tokens: 0}},
			},
		},
		{
			"system tool and tools cache point",
			Input{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{
				{SystemTool: &wire.SystemTool{Name: "tiktoken is great!"}},
				{CachePoint: cachePoint},
			}}},
			Count{
				Total:       toolOverhead + greatTokens,
				Checkpoints: []Checkpoint{{Section: SectionTools, Block: 1, Tokens: toolOverhead + greatTokens}},
			},
		},
		{
			"reasoning text counts as text",
			Input{Messages: []wire.Message{assistant(wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
				ReasoningText: &wire.ReasoningTextBlock{Text: "tiktoken is great!", Signature: "c2lnbmF0dXJl"},
			}})}},
			Count{Total: messageOverhead + greatTokens},
		},
		{
			"redacted reasoning at four bytes per token",
			Input{Messages: []wire.Message{assistant(wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{
				RedactedContent: make([]byte, 10),
			}})}},
			Count{Total: messageOverhead + 3},
		},
		{
			"guard content text",
			Input{Messages: []wire.Message{user(wire.ContentBlock{GuardContent: &wire.GuardrailConverseContentBlock{
				Text: &wire.GuardrailConverseTextBlock{Text: "It work!!!"},
			}})}},
			Count{Total: messageOverhead + workTokens},
		},
		{
			"tool result with text",
			Input{Messages: []wire.Message{user(wire.ContentBlock{ToolResult: &wire.ToolResultBlock{
				ToolUseID: "It work!!!",
				Content:   []wire.ToolResultContentBlock{{Text: wire.Ptr("tiktoken is great!")}},
			}})}},
			Count{Total: messageOverhead + blockOverhead + workTokens + greatTokens},
		},
		{
			"search result",
			Input{Messages: []wire.Message{user(wire.ContentBlock{SearchResult: &wire.SearchResultBlock{
				Source: "It work!!!", Title: "tiktoken is great!",
				Content: []wire.SearchResultContentBlock{{Text: "Large language models predict the next token."}},
			}})}},
			Count{Total: messageOverhead + blockOverhead + workTokens + greatTokens + llmTokens},
		},
		{
			"text document tokenised, its name too",
			Input{Messages: []wire.Message{user(wire.ContentBlock{Document: &wire.DocumentBlock{
				Format: wire.DocumentFormatMd, Name: "It work!!!",
				Source: &wire.DocumentSource{Bytes: []byte("tiktoken is great!")},
			}})}},
			Count{Total: messageOverhead + blockOverhead + workTokens + greatTokens},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Converse(tc.in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Converse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"type": "object",
		   "properties": {"city": {"type": "string", "description": "<city> & country"}},
		   "required": ["city"]}`,
			`{"properties":{"city":{"description":"<city> & country","type":"string"}},"required":["city"],"type":"object"}`},
		{`{"b": 1.50, "a": [3, 2e10, null, true]}`, `{"a":[3,2e10,null,true],"b":1.50}`},
		{`"just a string"`, `"just a string"`},
		{`{not json`, `{not json`},
	}
	for _, tc := range tests {
		if got := canonicalJSON([]byte(tc.in)); got != tc.want {
			t.Errorf("canonicalJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func weatherTool(schema string) wire.Tool {
	return wire.Tool{ToolSpec: &wire.ToolSpecification{
		Name:        "get_weather",
		Description: wire.Ptr("Weather by city"),
		InputSchema: &wire.ToolInputSchema{JSON: wire.Document(schema)},
	}}
}

func TestToolSpec(t *testing.T) {
	c := newCounter(t)
	schema := `{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`
	in := Input{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{weatherTool(schema)}}}
	want := toolOverhead + c.Text("get_weather") + c.Text("Weather by city") +
		c.Text(`{"properties":{"city":{"type":"string"}},"required":["city"],"type":"object"}`)
	if got := c.Converse(in).Total; got != want {
		t.Errorf("Total = %d, want %d", got, want)
	}
}

// TestKeyOrderDoesNotMatter reorders the keys (and whitespace) of a tool's
// schema and of a tool use's input; the counts must not move.
func TestKeyOrderDoesNotMatter(t *testing.T) {
	c := newCounter(t)
	a := `{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Oslo"]},"days":{"type":"integer","minimum":1}},"required":["city"]}`
	b := `{
	  "required": ["city"],
	  "properties": {
	    "days": {"minimum": 1, "type": "integer"},
	    "city": {"enum": ["Paris", "Oslo"], "type": "string"}
	  },
	  "type": "object"
	}`
	tools := func(s string) Input {
		return Input{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{weatherTool(s)}}}
	}
	if x, y := c.Converse(tools(a)).Total, c.Converse(tools(b)).Total; x != y {
		t.Errorf("schema: %d tokens in one key order, %d in another", x, y)
	}
	// A different schema must count differently, or the check above proves nothing.
	if x, y := c.Converse(tools(a)).Total, c.Converse(tools(strings.Replace(a, "Oslo", "Reykjavik and Tromsø", 1))).Total; x == y {
		t.Errorf("different schemas both count %d", x)
	}

	use := func(s string) Input {
		return Input{Messages: []wire.Message{assistant(wire.ContentBlock{ToolUse: &wire.ToolUseBlock{
			ToolUseID: "tooluse_1", Name: "get_weather", Input: wire.Document(s),
		}})}}
	}
	if x, y := c.Converse(use(`{"city":"Paris","days":3}`)).Total, c.Converse(use(`{"days": 3, "city": "Paris"}`)).Total; x != y {
		t.Errorf("tool input: %d tokens in one key order, %d in another", x, y)
	}
}

// TestCacheHierarchy decodes a request whose JSON lists messages before
// system before toolConfig; checkpoints must still come tools → system →
// messages, each prefix including the sections before it.
func TestCacheHierarchy(t *testing.T) {
	c := newCounter(t)
	body := `{
	  "messages": [
	    {"role": "user", "content": [{"text": "It work!!!"}, {"cachePoint": {"type": "default"}}]},
	    {"role": "assistant", "content": [{"text": "tiktoken is great!"}]},
	    {"role": "user", "content": [{"text": "Large language models predict the next token."}, {"cachePoint": {"type": "default"}}]}
	  ],
	  "system": [{"text": "tiktoken is great!"}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
	  "toolConfig": {"tools": [
	    {"toolSpec": {"name": "get_weather", "description": "Weather by city",
	                  "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}},
	    {"cachePoint": {"type": "default", "ttl": "1h"}}
	  ]}
	}`
	var req wire.ConverseRequest
	if err := wire.Decode([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	got := c.Converse(FromRequest(&req))

	tools := c.Converse(Input{ToolConfig: req.ToolConfig}).Total
	system := messageOverhead + greatTokens
	m0 := messageOverhead + workTokens
	m12 := messageOverhead + greatTokens + messageOverhead + llmTokens
	want := Count{
		Total: tools + system + m0 + m12,
		Checkpoints: []Checkpoint{
			{Section: SectionTools, Block: 1, Tokens: tools, TTL: wire.CacheTTL1h},
			{Section: SectionSystem, Block: 1, Tokens: tools + system, TTL: wire.CacheTTL1h},
			{Section: SectionMessages, Message: 0, Block: 1, Tokens: tools + system + m0},
			{Section: SectionMessages, Message: 2, Block: 1, Tokens: tools + system + m0 + m12},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Converse (-want +got):\n%s", diff)
	}
	if tools <= toolOverhead {
		t.Errorf("tools count %d: the spec was not counted", tools)
	}

	// The same prompt through CountTokens counts the same.
	var tokReq wire.CountTokensRequest
	if err := wire.Decode([]byte(`{"input":{"converse":`+body+`}}`), &tokReq); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, c.Converse(FromTokensRequest(tokReq.Input.Converse))); diff != "" {
		t.Errorf("CountTokens input counts differently (-Converse +CountTokens):\n%s", diff)
	}
}

func TestFromRequest(t *testing.T) {
	sys := []wire.SystemContentBlock{sysText("s")}
	msgs := []wire.Message{user(text("m"))}
	tc := &wire.ToolConfiguration{Tools: []wire.Tool{weatherTool(`{}`)}}
	want := Input{System: sys, Messages: msgs, ToolConfig: tc}
	if diff := cmp.Diff(want, FromRequest(&wire.ConverseRequest{ModelID: "m", System: sys, Messages: msgs, ToolConfig: tc})); diff != "" {
		t.Errorf("FromRequest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, FromTokensRequest(&wire.ConverseTokensRequest{System: sys, Messages: msgs, ToolConfig: tc})); diff != "" {
		t.Errorf("FromTokensRequest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Input{}, FromRequest(nil)); diff != "" {
		t.Errorf("FromRequest(nil) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Input{}, FromTokensRequest(nil)); diff != "" {
		t.Errorf("FromTokensRequest(nil) (-want +got):\n%s", diff)
	}
}

// conversation is a long mixed prompt: every kind of block, cache points
// everywhere they may go.
func conversation(t *testing.T) Input {
	t.Helper()
	prose := opticks(t)
	png := pngBytes(t, 120, 90)
	var msgs []wire.Message
	for i := range 12 {
		chunk := prose[i*3000 : i*3000+3000]
		switch i % 4 {
		case 0:
			msgs = append(msgs, user(text(chunk), wire.ContentBlock{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: png}}}))
		case 1:
			msgs = append(msgs, assistant(
				wire.ContentBlock{ReasoningContent: &wire.ReasoningContentBlock{ReasoningText: &wire.ReasoningTextBlock{Text: chunk[:500]}}},
				text(chunk[500:]),
				wire.ContentBlock{ToolUse: &wire.ToolUseBlock{ToolUseID: "t1", Name: "get_weather", Input: wire.Document(`{"city":"Paris"}`)}},
			))
		case 2:
			msgs = append(msgs, user(
				wire.ContentBlock{ToolResult: &wire.ToolResultBlock{ToolUseID: "t1", Content: []wire.ToolResultContentBlock{
					{JSON: wire.Document(`{"temp": 21, "sky": "clear"}`)}, {Text: wire.Ptr(chunk)},
				}}},
				wire.ContentBlock{Document: &wire.DocumentBlock{Format: wire.DocumentFormatPdf, Name: "report", Source: &wire.DocumentSource{Bytes: make([]byte, 4000)}}},
				wire.ContentBlock{CachePoint: cachePoint},
			))
		case 3:
			msgs = append(msgs, assistant(text(chunk)))
		}
	}
	return Input{
		System: []wire.SystemContentBlock{sysText(prose[40000:44000]), {CachePoint: cachePoint}},
		ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{
			weatherTool(`{"type":"object","properties":{"city":{"type":"string"}}}`),
			{CachePoint: cachePoint},
		}},
		Messages: msgs,
	}
}

func TestConverseInvariants(t *testing.T) {
	c := newCounter(t)
	full := conversation(t)
	prev := -1
	for n := 0; n <= len(full.Messages); n++ {
		in := full
		in.Messages = full.Messages[:n]
		got := c.Converse(in)

		if got.Total < prev {
			t.Errorf("%d messages: Total %d, less than %d with one message fewer", n, got.Total, prev)
		}
		prev = got.Total

		last := -1
		for i, cp := range got.Checkpoints {
			if cp.Tokens < last {
				t.Errorf("%d messages: checkpoint %d has %d tokens, the one before %d", n, i, cp.Tokens, last)
			}
			last = cp.Tokens
		}
		if last > got.Total {
			t.Errorf("%d messages: last checkpoint %d > Total %d", n, last, got.Total)
		}
		if again := c.Converse(in); !cmp.Equal(got, again) {
			t.Errorf("%d messages: two counts differ: %+v then %+v", n, got, again)
		}
	}
	got := c.Converse(full)
	if want := 2 + len(full.Messages)/4; len(got.Checkpoints) != want {
		t.Errorf("%d checkpoints, want %d", len(got.Checkpoints), want)
	}
	if got.Total < 10000 {
		t.Errorf("Total %d for ~40 KB of prose", got.Total)
	}
}

// TestCheckpointIsPrefixTotal: a checkpoint's tokens are what the prompt
// cut just before it would count.
func TestCheckpointIsPrefixTotal(t *testing.T) {
	c := newCounter(t)
	full := conversation(t)
	for _, cp := range c.Converse(full).Checkpoints {
		if cp.Section != SectionMessages {
			continue
		}
		prefix := full
		prefix.Messages = append([]wire.Message(nil), full.Messages[:cp.Message+1]...)
		last := &prefix.Messages[cp.Message]
		last.Content = last.Content[:cp.Block]
		if got := c.Converse(prefix).Total; got != cp.Tokens {
			t.Errorf("checkpoint at message %d block %d: %d tokens, prefix counts %d", cp.Message, cp.Block, cp.Tokens, got)
		}
	}
}

func TestContent(t *testing.T) {
	c := newCounter(t)
	blocks := []wire.ContentBlock{
		text("tiktoken is great!"),
		{ToolUse: &wire.ToolUseBlock{ToolUseID: "It work!!!", Name: "get_weather", Input: json.RawMessage(`{"city":"Paris"}`)}},
	}
	want := greatTokens + blockOverhead + workTokens + c.Text("get_weather") + c.Text(`{"city":"Paris"}`)
	if got := c.Content(blocks); got != want {
		t.Errorf("Content = %d, want %d", got, want)
	}
	if got, want := c.Converse(Input{Messages: []wire.Message{assistant(blocks...)}}).Total, messageOverhead+want; got != want {
		t.Errorf("Converse = %d, want Content + message overhead = %d", got, want)
	}
}

// cutAfter is in cut just after its k-th block (cache points are not
// blocks), the prompt a block boundary ends.
func cutAfter(in Input, k int) Input {
	var out Input
	if in.ToolConfig != nil {
		tc := *in.ToolConfig
		tc.Tools = nil
		for _, t := range in.ToolConfig.Tools {
			if k == 0 {
				break
			}
			tc.Tools = append(tc.Tools, t)
			if t.CachePoint == nil {
				k--
			}
		}
		out.ToolConfig = &tc
	}
	for _, b := range in.System {
		if k == 0 {
			break
		}
		out.System = append(out.System, b)
		if b.CachePoint == nil {
			k--
		}
	}
	for _, m := range in.Messages {
		if k == 0 {
			break
		}
		cut := wire.Message{Role: m.Role}
		for _, b := range m.Content {
			if k == 0 {
				break
			}
			cut.Content = append(cut.Content, b)
			if b.CachePoint == nil {
				k--
			}
		}
		out.Messages = append(out.Messages, cut)
	}
	return out
}

func TestConverseBlocks(t *testing.T) {
	c := newCounter(t)
	cp := wire.CachePointBlock{Type: wire.CachePointTypeDefault}
	tests := []struct {
		name string
		in   Input
		want []int
	}{
		{"empty", Input{}, nil},
		{"system and messages, cache points are not blocks",
			Input{
				System:   []wire.SystemContentBlock{sysText("tiktoken is great!"), {CachePoint: &cp}},
				Messages: []wire.Message{user(text("It work!!!"), wire.ContentBlock{CachePoint: &cp}), assistant(text("tiktoken is great!"), text("It work!!!"))},
			},
			[]int{
				messageOverhead + greatTokens,
				messageOverhead + greatTokens + messageOverhead + workTokens,
				messageOverhead + greatTokens + messageOverhead + workTokens + messageOverhead + greatTokens,
				messageOverhead + greatTokens + messageOverhead + workTokens + messageOverhead + greatTokens + workTokens,
			}},
		{"an empty system block is a block of no tokens",
			Input{System: []wire.SystemContentBlock{{}, sysText("tiktoken is great!")}},
			[]int{0, messageOverhead + greatTokens}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := c.ConverseBlocks(tc.in)
			if diff := cmp.Diff(tc.want, got.Blocks); diff != "" {
				t.Errorf("Blocks (-want +got):\n%s", diff)
			}
			plain := c.Converse(tc.in)
			if plain.Blocks != nil {
				t.Errorf("Converse filled Blocks: %v", plain.Blocks)
			}
			got.Blocks = nil
			if diff := cmp.Diff(plain, got); diff != "" {
				t.Errorf("ConverseBlocks differs from Converse (-Converse +ConverseBlocks):\n%s", diff)
			}
		})
	}

	// On a long mixed prompt, each block boundary's count is what the
	// prompt cut there counts.
	full := conversation(t)
	blocks := c.ConverseBlocks(full).Blocks
	if len(blocks) < 20 {
		t.Fatalf("%d blocks in the conversation, want ≥ 20", len(blocks))
	}
	for i, n := range blocks {
		if got := c.Converse(cutAfter(full, i+1)).Total; got != n {
			t.Errorf("after block %d: Blocks says %d, the prompt cut there counts %d", i+1, n, got)
		}
	}
	if last := blocks[len(blocks)-1]; last != c.Converse(full).Total {
		t.Errorf("last block boundary %d, total %d", last, c.Converse(full).Total)
	}
}
