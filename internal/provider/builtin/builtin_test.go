package builtin

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/tokens"
	"github.com/conversekit/converse/internal/wire"
)

var sharedTokens = sync.OnceValues(tokens.New)

func newModel(t testing.TB) *Model {
	t.Helper()
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Tokens: tok})
}

func decode(t testing.TB, body string) *wire.ConverseRequest {
	t.Helper()
	var req wire.ConverseRequest
	if err := wire.Decode([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	return &req
}

func TestSplitWordsRoundTrips(t *testing.T) {
	for _, s := range []string{"", "one", "two words", " lead", "a  double", "trail ", "天气 很好 today"} {
		if got := strings.Join(splitWords(s), ""); got != s {
			t.Errorf("splitWords(%q) joins to %q", s, got)
		}
	}
}

// Counting an answer piece by piece gives the same total as counting it
// whole, so streamed and non-streamed usage agree and maxTokens is exact.
func TestPieceTokensAddUp(t *testing.T) {
	m := newModel(t)
	req := decode(t, `{"messages":[{"role":"user","content":[{"text":"Explain photosynthesis in 300 words"}]}]}`)
	pieces := splitWords(answerText(req))
	sum := 0
	for _, p := range pieces {
		sum += m.opts.Tokens.Text(p)
	}
	if whole := m.opts.Tokens.Text(strings.Join(pieces, "")); whole != sum {
		t.Errorf("whole text %d tokens, pieces sum to %d", whole, sum)
	}
}

func TestAnswerIgnoresKeyOrderAndInferenceSettings(t *testing.T) {
	a := answerText(decode(t, `{"messages":[{"role":"user","content":[{"text":"hello"}]}],"system":[{"text":"be brief"}]}`))
	b := answerText(decode(t, `{"system":[{"text":"be brief"}],"inferenceConfig":{"maxTokens":9},"messages":[{"content":[{"text":"hello"}],"role":"user"}]}`))
	if a != b {
		t.Errorf("answers differ:\n%q\n%q", a, b)
	}
	c := answerText(decode(t, `{"messages":[{"role":"user","content":[{"text":"hello!"}]}],"system":[{"text":"be brief"}]}`))
	if a == c {
		t.Error("a different question got the same answer")
	}
}

const weatherTool = `{"toolSpec":{"name":"Weather_Tool","description":"Get the current weather for a location","inputSchema":{"json":{"type":"object","properties":{"latitude":{"type":"number","description":"Latitude"},"longitude":{"type":"number","description":"Longitude"}},"required":["latitude","longitude"]}}}}`

const supportTools = `{"toolSpec":{"name":"QueryKnowledgeBase","description":"查询产品知识库","inputSchema":{"json":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}},
{"toolSpec":{"name":"CreateSupportTicket","description":"创建技术支持工单","inputSchema":{"json":{"type":"object","properties":{"issue_description":{"type":"string"},"customer_id":{"type":"string"},"priority":{"type":"string","enum":["low","medium","high"]}},"required":["issue_description","customer_id"]}}}}`

func TestToolCalls(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []wire.ToolUseBlock // IDs ignored
	}{
		{
			name: "weather by city",
			body: `{"messages":[{"role":"user","content":[{"text":"What's the weather like in Paris today?"}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`,
			want: []wire.ToolUseBlock{{Name: "Weather_Tool", Input: []byte(`{"latitude":48.8566,"longitude":2.3522}`)}},
		},
		{
			name: "chinese knowledge base",
			body: `{"messages":[{"role":"user","content":[{"text":"客户C001咨询: 产品无法开机"}]}],"toolConfig":{"tools":[` + supportTools + `]}}`,
			want: []wire.ToolUseBlock{{Name: "QueryKnowledgeBase", Input: []byte(`{"query":"产品无法开机"}`)}},
		},
		{
			name: "forced tool fills enum and id",
			body: `{"messages":[{"role":"user","content":[{"text":"Customer C-42 reports a high priority outage"}]}],"toolConfig":{"tools":[` + supportTools + `],"toolChoice":{"tool":{"name":"CreateSupportTicket"}}}}`,
			want: []wire.ToolUseBlock{{Name: "CreateSupportTicket", Input: []byte(`{"customer_id":"C-42","issue_description":"Customer C-42 reports a high priority outage","priority":"high"}`)}},
		},
		{
			name: "any picks the best match",
			body: `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"toolConfig":{"tools":[` + supportTools + `],"toolChoice":{"any":{}}}}`,
			want: []wire.ToolUseBlock{{Name: "QueryKnowledgeBase", Input: []byte(`{"query":"hi"}`)}},
		},
		{
			name: "no argument tool",
			body: `{"messages":[{"role":"user","content":[{"text":"What time is it?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"current_time","description":"Returns the time","inputSchema":{"json":{"type":"object"}}}}]}}`,
			want: []wire.ToolUseBlock{{Name: "current_time", Input: []byte(`{}`)}},
		},
		{
			name: "unrelated question gets no tool",
			body: `{"messages":[{"role":"user","content":[{"text":"Tell me a joke"}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`,
		},
		{
			name: "after tool results no tool",
			body: `{"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"Weather_Tool","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"json":{"temp":21}}]}}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := toolCalls(decode(t, tc.body))
			for i := range got {
				if !strings.HasPrefix(got[i].ToolUseID, "tooluse_") || len(got[i].ToolUseID) != 30 {
					t.Errorf("toolUseId %q", got[i].ToolUseID)
				}
				got[i].ToolUseID = ""
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(jsonEqual)); diff != "" {
				t.Errorf("tool calls (-want +got):\n%s", diff)
			}
		})
	}
}

func jsonEqual(a, b wire.Document) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
}

func TestToolRoundTripConverseAndStream(t *testing.T) {
	m := newModel(t)
	first := decode(t, `{"messages":[{"role":"user","content":[{"text":"What's the weather in Tokyo?"}]}],"toolConfig":{"tools":[`+weatherTool+`]}}`)
	out, err := m.Converse(t.Context(), &provider.Call{Request: first})
	if err != nil {
		t.Fatal(err)
	}
	if out.StopReason != wire.StopReasonToolUse {
		t.Fatalf("stopReason %q", out.StopReason)
	}
	// Claude and Nova write a short text before their tool calls; AWS's
	// own Converse tool example prints content[0].text, then reads
	// content[1].toolUse.
	content := out.Output.Message.Content
	if len(content) != 2 || content[0].Text == nil || *content[0].Text == "" || content[1].ToolUse == nil {
		t.Fatalf("content %+v, want [text, toolUse]", content)
	}
	use := content[1].ToolUse
	if use.Name != "Weather_Tool" {
		t.Fatalf("tool %q", use.Name)
	}

	// The stream carries the same answer in Bedrock's order (as recorded
	// from amazon.nova-micro, pydantic-ai test_bedrock_model_iter_stream):
	// text deltas in block 0 without contentBlockStart, contentBlockStop,
	// then contentBlockStart with the tool's ID and name in block 1, input
	// fragments, contentBlockStop, messageStop tool_use, metadata.
	var events []string
	var text, input strings.Builder
	var startID string
	var usage *wire.TokenUsage
	for ev, err := range m.ConverseStream(t.Context(), &provider.Call{Request: first}) {
		if err != nil {
			t.Fatal(err)
		}
		var e string
		switch {
		case ev.MessageStart != nil:
			e = "messageStart"
		case ev.ContentBlockStart != nil:
			e = fmt.Sprintf("start %d", ev.ContentBlockStart.ContentBlockIndex)
			startID = ev.ContentBlockStart.Start.ToolUse.ToolUseID
		case ev.ContentBlockDelta != nil:
			d := ev.ContentBlockDelta
			if d.Delta.Text != nil {
				e = fmt.Sprintf("text %d", d.ContentBlockIndex)
				text.WriteString(*d.Delta.Text)
			} else {
				e = fmt.Sprintf("input %d", d.ContentBlockIndex)
				input.WriteString(d.Delta.ToolUse.Input)
			}
		case ev.ContentBlockStop != nil:
			e = fmt.Sprintf("stop %d", ev.ContentBlockStop.ContentBlockIndex)
		case ev.MessageStop != nil:
			e = "messageStop " + string(ev.MessageStop.StopReason)
		case ev.Metadata != nil:
			e, usage = "metadata", ev.Metadata.Usage
		}
		if len(events) == 0 || events[len(events)-1] != e {
			events = append(events, e) // runs of deltas as one
		}
	}
	want := []string{"messageStart", "text 0", "stop 0", "start 1", "input 1", "stop 1", "messageStop tool_use", "metadata"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("stream events (-want +got):\n%s", diff)
	}
	if text.String() != *content[0].Text || startID != use.ToolUseID || !jsonEqual(wire.Document(input.String()), use.Input) {
		t.Errorf("stream gave %q %s %s, converse %q %s %s", text.String(), startID, input.String(), *content[0].Text, use.ToolUseID, use.Input)
	}
	if diff := cmp.Diff(out.Usage, usage); diff != "" {
		t.Errorf("usage: Converse and stream differ (-converse +stream):\n%s", diff)
	}

	// Answering with the tool result gets a text answer that uses it.
	second := *first
	second.Messages = append(second.Messages, *out.Output.Message, wire.Message{Role: "user", Content: []wire.ContentBlock{{
		ToolResult: &wire.ToolResultBlock{ToolUseID: use.ToolUseID, Content: []wire.ToolResultContentBlock{{JSON: wire.Document(`{"temperature_c":18,"sky":"clear"}`)}}},
	}}})
	final, err := m.Converse(t.Context(), &provider.Call{Request: &second})
	if err != nil {
		t.Fatal(err)
	}
	finalText := *final.Output.Message.Content[0].Text
	if final.StopReason != wire.StopReasonEndTurn || !strings.Contains(finalText, `Weather_Tool returned {"sky":"clear","temperature_c":18}`) {
		t.Errorf("final %q %q", final.StopReason, finalText)
	}
}

// hugePrompt is a request whose one user message is n bytes of prose.
func hugePrompt(n int) *provider.Call {
	words := []string{"the ", "model ", "answers ", "deterministically, ", "from ", "conversation\n"}
	var b strings.Builder
	b.Grow(n)
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
	}
	text := b.String() + " Summarise it in 20 words."
	req := &wire.ConverseRequest{ModelID: "amazon.nova-micro-v1:0", Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: &text}}}}}
	return &provider.Call{ModelID: req.ModelID, Request: req}
}

// BenchmarkHugePrompt answers a 16 MiB prompt; bytes/op over the prompt's
// size is what the built-in model costs per byte of prompt (issue: ≤ 2).
func BenchmarkHugePrompt(b *testing.B) {
	m := newModel(b)
	const size = 16 << 20
	c := hugePrompt(size)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Converse(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}

// A huge prompt costs the built-in model a bounded amount of memory: it
// reads a window of the question, clips before it copies and hashes the
// conversation without marshalling it whole (it used to allocate ~27 times
// the prompt). Bytes allocated are counted, not time, so a busy machine
// cannot fail it.
func TestHugePromptMemory(t *testing.T) {
	m := newModel(t)
	const size = 8 << 20
	c := hugePrompt(size)
	if _, err := m.Converse(t.Context(), c); err != nil { // warm caches
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, err := m.Converse(t.Context(), c)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > size/4 {
		t.Errorf("answering a %d-byte prompt allocated %d bytes; want at most %d", size, got, size/4)
	}
	text := *out.Output.Message.Content[0].Text
	if n := len(strings.Fields(text)); n > 200 {
		t.Errorf("answer has %d words for a 20-word request: %q", n, text)
	}
}

func TestClipAndQuestionWindow(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"  a   b\\n c ", 10, "a b c"},
		{"abc def", 5, "abc d…"},
		{"abc def", 4, "abc …"},
		{"abc def", 7, "abc def"},
		{"héllo wörld", 7, "héllo w…"},
		{"", 3, ""},
	} {
		if got := clip(strings.ReplaceAll(c.in, `\n`, "\n"), c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	long := strings.Repeat("é", questionWindow) + "MIDDLE" + strings.Repeat("ü", questionWindow) + " in 20 words"
	q := questionOf([]wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: &long}}}})
	if strings.Contains(q, "MIDDLE") || !strings.HasSuffix(q, "in 20 words") || !utf8.ValidString(q) || len(q) > 2*questionWindow+8 {
		t.Errorf("questionOf kept %d bytes, valid UTF-8 %v, suffix ok %v", len(q), utf8.ValidString(q), strings.HasSuffix(q, "in 20 words"))
	}
}
