package builtin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

func scripted(t *testing.T, src string) *Model {
	t.Helper()
	s, err := ParseScript([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sharedTokens()
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Tokens: tok, Script: s})
}

func TestParseScriptErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown key", "rules:\n  - match: {text: hi}\n    reply: {txt: hello}\n", `line 3: field txt not found`},
		{"wrong type", "seed: many\n", "line 1: cannot unmarshal"},
		{"bad regex", "rules:\n  - name: r\n    match:\n      text: \"(unclosed\"\n    reply: {text: x}\n", `line 4: rule 1 (r): match.text is not a valid regular expression`},
		{"bad exception", "rules:\n  - reply:\n      exception: {type: TooManyRequests}\n", `line 3: rule 1: reply: exception type "TooManyRequests" is not one Bedrock sends; use one of`},
		{"bad stop reason", "rules:\n  - reply: {stopReason: done}\n", `stopReason "done" is not a Bedrock stop reason`},
		{"probability", "rules:\n  - probability: 1.5\n    reply: {text: x}\n", "line 2: rule 1: probability 1.5 must be more than 0 and at most 1"},
		{"both", "rules:\n  - reply: {text: x}\n    sequence: [{text: y}]\n", "give either reply or sequence"},
		{"neither", "rules:\n  - match: {text: x}\n", "line 2: rule 1: say what to answer"},
		{"duration", "rules:\n  - reply: {delay: 5}\n", `line 2: "5" is not a duration`},
		{"calls from one", "rules:\n  - match: {calls: [0]}\n    reply: {text: x}\n", "match.calls counts from 1"},
		{"two documents", "rules: []\n---\nrules: []\n", "more than one YAML document"},
		{"exception with text", "rules:\n  - reply: {text: x, exception: {type: ThrottlingException}}\n", "an exception without failAfter ends the call before any content"},
		{"sequence item line", "rules:\n  - sequence:\n      - text: ok\n      - stopReason: nope\n", "line 4: rule 1: sequence item 2: stopReason"},
		{"tool name", "rules:\n  - reply: {toolUse: [{name: \"bad name\"}]}\n", `toolUse name "bad name"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScript([]byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "builtin.") {
				t.Errorf("error leaks Go type names: %v", err)
			}
		})
	}
	if s, err := ParseScript(nil); err != nil || len(s.rules) != 0 {
		t.Errorf("empty script: %v, %v", s, err)
	}
}

func TestLoadScriptNamesFile(t *testing.T) {
	_, err := LoadScript("testdata/does-not-exist.yaml")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Errorf("error %v does not name the file", err)
	}
}

const scriptedMarker = "SCRIPTED"

// answered reports whether the scripted rule answered the call.
func answered(t *testing.T, m *Model, c *provider.Call, stream bool) bool {
	t.Helper()
	if !stream {
		out, err := m.Converse(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range out.Output.Message.Content {
			if b.Text != nil && *b.Text == scriptedMarker {
				return true
			}
		}
		return false
	}
	var text strings.Builder
	for ev, err := range m.ConverseStream(t.Context(), c) {
		if err != nil {
			t.Fatal(err)
		}
		if d := ev.ContentBlockDelta; d != nil && d.Delta.Text != nil {
			text.WriteString(*d.Delta.Text)
		}
	}
	return text.String() == scriptedMarker
}

func TestScriptMatchers(t *testing.T) {
	const hello = `{"messages":[{"role":"user","content":[{"text":"Hello there"}]}]}`
	withTools := `{"messages":[{"role":"user","content":[{"text":"weather?"}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`
	withResults := `{"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"Weather_Tool","input":{}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"json":{"temp":21}}]}}]}],"toolConfig":{"tools":[` + weatherTool + `]}}`
	type call struct {
		model, body string
		stream      bool
		want        bool
	}
	cases := []struct {
		name  string
		match string
		calls []call
	}{
		{"model glob", `{model: "anthropic.claude-3-*"}`, []call{
			{haikuID, hello, false, true},
			{"us." + haikuID, hello, false, true},
			{"arn:aws:bedrock:us-east-1::foundation-model/" + haikuID, hello, false, true},
			{"amazon.nova-pro-v1:0", hello, false, false},
		}},
		{"text regex", `{text: "(?i)^hello"}`, []call{
			{haikuID, hello, false, true},
			{haikuID, withTools, false, false},
		}},
		{"tool results", `{toolResults: true}`, []call{
			{haikuID, withResults, false, true},
			{haikuID, withTools, false, false},
		}},
		{"no tool results", `{toolResults: false}`, []call{
			{haikuID, withResults, false, false},
			{haikuID, hello, false, true},
		}},
		{"tools offered", `{tools: [Weather_Tool]}`, []call{
			{haikuID, withTools, false, true},
			{haikuID, hello, false, false},
		}},
		{"stream only", `{stream: true}`, []call{
			{haikuID, hello, false, false},
			{haikuID, hello, true, true},
		}},
		{"nth calls", `{text: Hello, calls: [2, 4]}`, []call{
			{haikuID, hello, false, false},
			{haikuID, withTools, false, false}, // does not match: not counted
			{haikuID, hello, false, true},
			{haikuID, hello, true, false},
			{haikuID, hello, false, true},
			{haikuID, hello, false, false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := scripted(t, "rules:\n  - match: "+tc.match+"\n    reply: {text: "+scriptedMarker+"}\n")
			for i, c := range tc.calls {
				got := answered(t, m, &provider.Call{ModelID: c.model, Request: decode(t, c.body)}, c.stream)
				if got != c.want {
					t.Errorf("call %d (%s, stream %v): scripted %v, want %v", i+1, c.model, c.stream, got, c.want)
				}
			}
		})
	}
}

const haikuID = "anthropic.claude-3-haiku-20240307-v1:0"

func TestScriptActions(t *testing.T) {
	weatherAsk := decode(t, `{"messages":[{"role":"user","content":[{"text":"Is it raining in Tokyo?"}]}],"toolConfig":{"tools":[`+weatherTool+`]}}`)
	call := &provider.Call{ModelID: haikuID, Request: weatherAsk}

	t.Run("tool call with input and text", func(t *testing.T) {
		m := scripted(t, `
rules:
  - reply:
      text: Let me check.
      toolUse:
        - name: Weather_Tool
          toolUseId: tooluse_fixed
          input: {latitude: 1.5, longitude: -2}
`)
		out, err := m.Converse(t.Context(), call)
		if err != nil {
			t.Fatal(err)
		}
		want := []wire.ContentBlock{
			{Text: wire.Ptr("Let me check.")},
			{ToolUse: &wire.ToolUseBlock{ToolUseID: "tooluse_fixed", Name: "Weather_Tool", Input: wire.Document(`{"latitude":1.5,"longitude":-2}`)}},
		}
		if diff := cmp.Diff(want, out.Output.Message.Content, cmp.Comparer(jsonEqual)); diff != "" {
			t.Errorf("content (-want +got):\n%s", diff)
		}
		if out.StopReason != wire.StopReasonToolUse {
			t.Errorf("stopReason %q", out.StopReason)
		}
	})

	t.Run("tool call filled from schema", func(t *testing.T) {
		m := scripted(t, "rules:\n  - reply: {toolUse: [{name: Weather_Tool}]}\n")
		out, err := m.Converse(t.Context(), call)
		if err != nil {
			t.Fatal(err)
		}
		got := out.Output.Message.Content[0].ToolUse
		if got == nil || !jsonEqual(got.Input, wire.Document(`{"latitude":35.6762,"longitude":139.6503}`)) || !strings.HasPrefix(got.ToolUseID, "tooluse_") {
			t.Errorf("tool use %+v", got)
		}
	})

	t.Run("exception", func(t *testing.T) {
		m := scripted(t, "rules:\n  - reply: {exception: {type: ThrottlingException}}\n")
		_, err := m.Converse(t.Context(), call)
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ThrottlingException || ex.Message != "Too many requests, please wait before trying again." {
			t.Errorf("error %v", err)
		}
		n := 0
		for _, err := range m.ConverseStream(t.Context(), call) {
			n++
			if !errors.As(err, &ex) || ex.Type != wire.ThrottlingException {
				t.Errorf("stream error %v", err)
			}
		}
		if n != 1 {
			t.Errorf("stream yielded %d items, want the error only", n)
		}
	})

	t.Run("usage and stop reason", func(t *testing.T) {
		m := scripted(t, "rules:\n  - reply: {text: short, stopReason: max_tokens, usage: {inputTokens: 1000, outputTokens: 7, cacheReadInputTokens: 50}}\n")
		out, err := m.Converse(t.Context(), call)
		if err != nil {
			t.Fatal(err)
		}
		want := &wire.TokenUsage{InputTokens: 1000, OutputTokens: 7, TotalTokens: 1057, CacheReadInputTokens: wire.Ptr(50)}
		if diff := cmp.Diff(want, out.Usage); diff != "" || out.StopReason != wire.StopReasonMaxTokens {
			t.Errorf("stop %q usage (-want +got):\n%s", out.StopReason, diff)
		}
		var meta *wire.ConverseStreamMetadataEvent
		var stop wire.StopReason
		for ev, err := range m.ConverseStream(t.Context(), call) {
			if err != nil {
				t.Fatal(err)
			}
			if ev.Metadata != nil {
				meta = ev.Metadata
			}
			if ev.MessageStop != nil {
				stop = ev.MessageStop.StopReason
			}
		}
		if diff := cmp.Diff(want, meta.Usage); diff != "" || stop != wire.StopReasonMaxTokens {
			t.Errorf("stream stop %q usage (-want +got):\n%s", stop, diff)
		}
	})

	t.Run("fail after events", func(t *testing.T) {
		m := scripted(t, "rules:\n  - reply: {failAfter: 2, exception: {type: ModelStreamErrorException, message: cut off, originalStatusCode: 503}}\n")
		var kinds []string
		var got error
		for ev, err := range m.ConverseStream(t.Context(), &provider.Call{ModelID: haikuID, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Tell me a story"}]}]}`)}) {
			if err != nil {
				got = err
				continue
			}
			kinds = append(kinds, ev.EventType())
		}
		if diff := cmp.Diff([]string{"messageStart", "contentBlockDelta"}, kinds); diff != "" {
			t.Errorf("events before the failure (-want +got):\n%s", diff)
		}
		want := &wire.Exception{Type: wire.ModelStreamErrorException, Message: "cut off", OriginalStatusCode: 503}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
		// Converse has no stream to cut: the call fails as a model error.
		_, err := m.Converse(t.Context(), call)
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ModelErrorException || ex.Message != "cut off" {
			t.Errorf("Converse error %v", err)
		}
	})

	t.Run("fail after more events than the answer has", func(t *testing.T) {
		m := scripted(t, "rules:\n  - reply: {text: hi, failAfter: 100}\n")
		var n int
		var got error
		for _, err := range m.ConverseStream(t.Context(), call) {
			if err != nil {
				got = err
				continue
			}
			n++
		}
		var ex *wire.Exception
		if n != 5 || !errors.As(got, &ex) || ex.Type != wire.ModelStreamErrorException {
			t.Errorf("%d events then %v, want all 5 then a stream error", n, got)
		}
	})
}

// Delays are checked against a context deadline, not a clock: a call that
// must wait an hour fails at the deadline, one that need not succeeds.
func TestScriptTiming(t *testing.T) {
	call := &provider.Call{ModelID: haikuID, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}`)}
	for _, tc := range []struct {
		reply string
		wait  bool
	}{
		{"{delay: 1h}", true},
		{"{timeToFirstToken: 1h}", true},
		{"{tokensPerSecond: 0.0001}", true},
		{"{text: fast}", false},
	} {
		m := scripted(t, "rules:\n  - reply: "+tc.reply+"\n")
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		_, err := m.Converse(ctx, call)
		cancel()
		if waited := errors.Is(err, context.DeadlineExceeded); waited != tc.wait {
			t.Errorf("%s: Converse error %v, want waiting %v", tc.reply, err, tc.wait)
		}
		ctx, cancel = context.WithTimeout(t.Context(), 20*time.Millisecond)
		var serr error
		for _, err := range m.ConverseStream(ctx, call) {
			if err != nil {
				serr = err
			}
		}
		cancel()
		if waited := errors.Is(serr, context.DeadlineExceeded); waited != tc.wait {
			t.Errorf("%s: stream error %v, want waiting %v", tc.reply, serr, tc.wait)
		}
	}
}

func TestScriptSequences(t *testing.T) {
	call := &provider.Call{ModelID: haikuID, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"测试消息"}]}]}`)}
	outcome := func(m *Model) string {
		out, err := m.Converse(t.Context(), call)
		var ex *wire.Exception
		switch {
		case errors.As(err, &ex):
			return ex.Type
		case err != nil:
			t.Fatal(err)
		}
		text := *out.Output.Message.Content[0].Text
		if text == answerText(call.Request) {
			return "default"
		}
		return text
	}
	for _, tc := range []struct {
		name, script string
		want         []string
	}{
		{"sequence then default", `
rules:
  - match: {text: 测试}
    sequence:
      - exception: {type: ThrottlingException}
      - exception: {type: ModelTimeoutException}
      - text: third
`, []string{"ThrottlingException", "ModelTimeoutException", "third", "default", "default"}},
		{"repeat", `
rules:
  - sequence: [{text: A}, {text: B}]
    repeat: true
`, []string{"A", "B", "A", "B"}},
		{"first rule that fires wins", `
rules:
  - match: {calls: [2]}
    reply: {text: second}
  - reply: {text: other}
`, []string{"other", "second", "other"}},
		{"empty reply keeps default content", `
rules:
  - sequence: [{}, {text: B}]
`, []string{"default", "B", "default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := scripted(t, tc.script)
			var got []string
			for range tc.want {
				got = append(got, outcome(m))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

// A probabilistic rule fires on about its share of calls, in the same
// pattern every time for one seed, and in another pattern for another.
func TestScriptProbabilityIsSeeded(t *testing.T) {
	call := &provider.Call{ModelID: haikuID, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)}
	pattern := func(seed string) string {
		m := scripted(t, "seed: "+seed+"\nrules:\n  - probability: 0.3\n    reply: {exception: {type: ThrottlingException}}\n")
		var b strings.Builder
		for range 200 {
			if _, err := m.Converse(t.Context(), call); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, again, other := pattern("7"), pattern("7"), pattern("8")
	if a != again {
		t.Errorf("same seed, different faults:\n%s\n%s", a, again)
	}
	if a == other {
		t.Error("seeds 7 and 8 gave the same faults")
	}
	if n := strings.Count(a, "x"); n < 40 || n > 80 {
		t.Errorf("%d of 200 calls failed with probability 0.3", n)
	}
}

// TestModelMatches: rules use internal/glob on the ID as sent, the
// upstream model and their base IDs.
func TestModelMatches(t *testing.T) {
	for _, tc := range []struct {
		p, id, upstream string
		want            bool
	}{
		{"*", "anything/at:all", "", true},
		{"anthropic.*", "anthropic.claude-3-haiku-20240307-v1:0", "", true},
		{"anthropic.*", "us.anthropic.claude-3-haiku-20240307-v1:0", "", true},
		{"anthropic.*", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "", true},
		{"anthropic.*", "amazon.nova", "", false},
		{"anthropic.*", "haiku", "anthropic.claude-3-haiku-20240307-v1:0", true},
		{"anthropic.claude-?-haiku-*", "anthropic.claude-3-haiku-20240307-v1:0", "", true},
		{"exact", "exactly", "", false},
	} {
		if got := modelMatches(tc.p, &provider.Call{ModelID: tc.id, UpstreamModel: tc.upstream}); got != tc.want {
			t.Errorf("modelMatches(%q, %q, %q) = %v", tc.p, tc.id, tc.upstream, got)
		}
	}
}

// FuzzParseScript: any bytes either parse or give an error; parsed scripts
// answer a call without panicking.
func FuzzParseScript(f *testing.F) {
	f.Add([]byte("seed: 3\nrules:\n  - match: {model: \"a*\", text: \"(?i)x\", calls: [1]}\n    probability: 0.5\n    sequence: [{text: a}, {exception: {type: ThrottlingException}}]\n"))
	f.Add([]byte("rules:\n  - reply: {toolUse: [{name: t, input: {a: [1, {b: c}]}}], failAfter: 1, delay: 0s}\n"))
	f.Add([]byte("rules: [{reply: {usage: {inputTokens: 1}}}]"))
	tok, err := sharedTokens()
	if err != nil {
		f.Fatal(err)
	}
	req := &wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{{Text: wire.Ptr("x")}}}}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScript(data)
		if err != nil {
			return
		}
		for _, r := range s.rules {
			for _, a := range r.sequence {
				if a.delay > 0 || a.timeToFirstToken != nil || a.tokensPerSecond != nil {
					return // would wait
				}
			}
		}
		m := New(Options{Tokens: tok, Script: s})
		_, _ = m.Converse(t.Context(), &provider.Call{ModelID: "a", Request: req})
		for range m.ConverseStream(t.Context(), &provider.Call{ModelID: "a", Request: req}) {
		}
	})
}

// BenchmarkScriptedConverse measures a call that passes three non-matching
// rules (model glob, regex, tools) before the fourth answers.
func BenchmarkScriptedConverse(b *testing.B) {
	s, err := ParseScript([]byte(`
rules:
  - match: {model: "amazon.*"}
    reply: {text: no}
  - match: {text: "(?i)^never$"}
    reply: {text: no}
  - match: {tools: [Weather_Tool]}
    reply: {text: no}
  - match: {calls: [1000000000]}
    reply: {text: no}
  - reply: {text: "scripted answer"}
`))
	if err != nil {
		b.Fatal(err)
	}
	tok, err := sharedTokens()
	if err != nil {
		b.Fatal(err)
	}
	m := New(Options{Tokens: tok, Script: s})
	c := &provider.Call{ModelID: haikuID, Request: decode(b, `{"messages":[{"role":"user","content":[{"text":"Hello there, how are you today?"}]}]}`)}
	for b.Loop() {
		if _, err := m.Converse(b.Context(), c); err != nil {
			b.Fatal(err)
		}
	}
}
