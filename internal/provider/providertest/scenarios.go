package providertest

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// wantCalls is calls as an answer carries them: no arguments is {}.
func wantCalls(calls []ToolCall) []ToolCall {
	out := slices.Clone(calls)
	for i := range out {
		if out[i].Input == nil {
			out[i].Input = map[string]any{}
		}
	}
	return out
}

// checkAnswers holds both answers to the reply they were scripted with and
// to each other. Cache numbers pass through exactly from a backend that
// reports its own (provider.CacheReporter); from any other only the prompt
// total must survive, since the router re-accounts the split.
func checkAnswers(t *testing.T, b Backend, p provider.Provider, r Reply, whole, streamed Answer) {
	t.Helper()
	wantStop := wire.StopReasonEndTurn
	if len(r.ToolCalls) > 0 {
		wantStop = wire.StopReasonToolUse
	}
	wantSig := ""
	if b.Can(SignsReasoning) {
		wantSig = r.Signature
	}
	u := r.Tokens()
	exact := reportsCache(p) || u.CacheRead == 0 && u.CacheWrite == 0
	for _, a := range []struct {
		op  string
		got Answer
	}{{"Converse", whole}, {"ConverseStream", streamed}} {
		if a.got.Text != r.Text {
			t.Errorf("%s: text %q, want %q", a.op, a.got.Text, r.Text)
		}
		if a.got.Reasoning != r.Reasoning || a.got.Signature != wantSig {
			t.Errorf("%s: reasoning %q signed %q, want %q signed %q", a.op, a.got.Reasoning, a.got.Signature, r.Reasoning, wantSig)
		}
		if diff := cmp.Diff(wantCalls(r.ToolCalls), a.got.ToolCalls); diff != "" {
			t.Errorf("%s: tool calls (-want +got):\n%s", a.op, diff)
		}
		if a.got.StopReason != wantStop {
			t.Errorf("%s: stopReason %q, want %q", a.op, a.got.StopReason, wantStop)
		}
		if err := CheckUsage(a.got.Usage); err != nil {
			t.Errorf("%s: %v", a.op, err)
		}
		got := Usage{Input: a.got.Usage.InputTokens, Output: a.got.Usage.OutputTokens,
			CacheRead: deref(a.got.Usage.CacheReadInputTokens), CacheWrite: deref(a.got.Usage.CacheWriteInputTokens)}
		switch {
		case exact && got != u:
			t.Errorf("%s: usage %s, want the model's %+v", a.op, jsonOf(a.got.Usage), u)
		case !exact && (got.Output != u.Output || got.prompt() != u.prompt()):
			t.Errorf("%s: usage %s, want the model's %d output and %d prompt tokens (input, cache reads and writes)", a.op, jsonOf(a.got.Usage), u.Output, u.prompt())
		}
	}
	if diff := cmp.Diff(whole, streamed); diff != "" {
		t.Errorf("Converse and ConverseStream disagree (-Converse +ConverseStream):\n%s", diff)
	}
}

// reportsCache reports whether p's usage carries the model's own cache
// numbers, which the router keeps.
func reportsCache(p provider.Provider) bool {
	rep, ok := p.(provider.CacheReporter)
	return ok && rep.ReportsCacheUsage()
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// received returns what the fake saw, checking there is one entry per
// call, the first not streamed and the second streamed; nil when the
// backend cannot see requests.
func received(t *testing.T, b Backend, s *Session, calls int) []Received {
	t.Helper()
	if !b.Can(SeesRequests) {
		return nil
	}
	got := s.Received()
	if len(got) != calls {
		t.Fatalf("the model received %d requests, want %d: %s", len(got), calls, jsonOf(got))
	}
	for i, r := range got {
		if r.Stream != (i%2 == 1) {
			t.Errorf("request %d: stream %v, want Converse then ConverseStream", i, r.Stream)
		}
	}
	return got
}

func testText(t *testing.T, b Backend) {
	r := Reply{Text: "The capital of France is Paris, on the Seine.", Usage: Usage{Input: 14, Output: 11}}
	s := b.Start(t, r)
	req := &wire.ConverseRequest{Messages: []wire.Message{user(text("What is the capital of France?"))}}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if diff := cmp.Diff([]string{"What is the capital of France?"}, got.UserTexts); diff != "" {
			t.Errorf("request %d: user texts (-want +got):\n%s", i, diff)
		}
	}
	// The stream must be valid event by event, not only in sum.
	events, err := collect(t.Context(), s.Provider, call(t, req))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckOrder(events); err != nil {
		t.Errorf("%v\nevents:\n%s", err, dump(events))
	}
	if len(events) < 2 || events[1].ContentBlockDelta == nil && events[1].ContentBlockStart == nil {
		t.Errorf("the text does not follow messageStart:\n%s", dump(events))
	}
}

func testTools(t *testing.T, b Backend, calls ...ToolCall) {
	testToolsAfter(t, b, "", calls...)
}

func testToolsAfter(t *testing.T, b Backend, prefix string, calls ...ToolCall) {
	r := Reply{Text: prefix, ToolCalls: calls}
	s := b.Start(t, r)
	req := &wire.ConverseRequest{Messages: []wire.Message{user(text("What's the weather like in Paris?"))}, ToolConfig: tools()}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if diff := cmp.Diff([]string{"get_weather", "get_time"}, got.Tools); diff != "" {
			t.Errorf("request %d: tools offered (-want +got):\n%s", i, diff)
		}
	}
}

func testToolResult(t *testing.T, b Backend) {
	r := Reply{Text: "It is 18°C and sunny in Paris."}
	s := b.Start(t, r)
	const id = "tooluse_history01"
	req := &wire.ConverseRequest{ToolConfig: tools(), Messages: []wire.Message{
		user(text("What's the weather like in Paris?")),
		{Role: wire.ConversationRoleAssistant, Content: []wire.ContentBlock{
			text("Let me check."),
			{ToolUse: &wire.ToolUseBlock{ToolUseID: id, Name: "get_weather", Input: wire.Document(`{"city":"Paris"}`)}},
		}},
		user(wire.ContentBlock{ToolResult: &wire.ToolResultBlock{ToolUseID: id, Content: []wire.ToolResultContentBlock{
			{Text: wire.Ptr("18°C, sunny")},
		}}}),
	}}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if !slices.Equal(got.ToolUses, []string{id}) || !slices.Equal(got.ToolResults, []string{id}) {
			t.Errorf("request %d: tool uses %q and results %q, want [%s] each", i, got.ToolUses, got.ToolResults, id)
		}
	}
}

func testImage(t *testing.T, b Backend) {
	r := Reply{Text: "A red square."}
	s := b.Start(t, r)
	req := &wire.ConverseRequest{Messages: []wire.Message{user(
		text("What is in this picture?"),
		wire.ContentBlock{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: redSquare(t)}}},
	)}}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if got.Images != 1 {
			t.Errorf("request %d: %d images reached the model, want 1", i, got.Images)
		}
	}
}

// errorCases are upstream statuses and the Bedrock exceptions each may
// become: 5xx is a model error or unavailability depending on the backend's
// documented mapping.
var errorCases = []struct {
	status int
	want   []string
}{
	{400, []string{wire.ValidationException}},
	{429, []string{wire.ThrottlingException}},
	{500, []string{wire.ModelErrorException, wire.ServiceUnavailableException}},
	{503, []string{wire.ModelErrorException, wire.ServiceUnavailableException}},
}

func testErrors(t *testing.T, b Backend) {
	if !b.Can(FailByStatus) {
		t.Skipf("the backend's fake cannot fail by HTTP status (no %s capability)", FailByStatus)
	}
	for _, tc := range errorCases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			s := b.Start(t, Reply{Fail: &Failure{Status: tc.status}})
			c := call(t, &wire.ConverseRequest{Messages: []wire.Message{user(text("Hello?"))}})
			check := func(op string, err error) {
				t.Helper()
				var ex *wire.Exception
				if !errors.As(err, &ex) {
					t.Fatalf("%s: error %v (%T), want a *wire.Exception", op, err, err)
				}
				if !slices.Contains(tc.want, ex.Type) {
					t.Errorf("%s: %s (%q), want %s", op, ex.Type, ex.Message, strings.Join(tc.want, " or "))
				}
			}
			out, err := s.Provider.Converse(t.Context(), c)
			if err == nil {
				t.Fatalf("Converse answered %s, want an error", jsonOf(out))
			}
			check("Converse", err)
			n := 0
			for ev, err := range s.Provider.ConverseStream(t.Context(), c) {
				n++
				if err == nil {
					t.Fatalf("ConverseStream: event %s before the error, want the error first", ev.EventType())
				}
				check("ConverseStream", err)
			}
			if n != 1 {
				t.Errorf("ConverseStream yielded %d items, want the error alone", n)
			}
		})
	}
}

func testBreak(t *testing.T, b Backend) {
	words := strings.Repeat("and so on ", 40)
	s := b.Start(t, Reply{Text: "Once upon a time " + words, Stall: true})
	req := &wire.ConverseRequest{Messages: []wire.Message{user(text("Tell me a long story."))}}
	// Goroutines of the session itself (servers, which may start theirs
	// lazily, hence one complete call first) live until the test ends; only
	// those the stream starts must be gone after the break.
	if _, err := s.Provider.Converse(t.Context(), call(t, req)); err != nil {
		t.Fatalf("Converse: %v", err)
	}
	before := goleak.IgnoreCurrent()
	n := 0
	for ev, err := range s.Provider.ConverseStream(t.Context(), call(t, req)) {
		if err != nil {
			t.Fatalf("ConverseStream: %v", err)
		}
		n++
		if ev.MessageStart == nil {
			t.Errorf("first event %s, want messageStart", ev.EventType())
		}
		break
	}
	if n != 1 {
		t.Fatalf("the stream yielded %d events, want 1 before the break", n)
	}
	if b.Can(ObservesRelease) {
		select {
		case <-s.Released:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream request did not end after the consumer broke out of the stream")
		}
	}
	if err := goleak.Find(before); err != nil {
		t.Errorf("goroutines left after the consumer broke out of the stream: %v", err)
	}
}

// onePagePDF is a minimal well-formed PDF of one empty page.
const onePagePDF = "%PDF-1.4\n" +
	"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" +
	"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n" +
	"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n" +
	"trailer <</Root 1 0 R>>\n%%EOF\n"

// testDocument sends doc after a question and checks the answer and, where
// the fake sees requests, that the document reached the model as want.
func testDocument(t *testing.T, b Backend, r Reply, question string, doc wire.DocumentBlock, want Document) {
	s := b.Start(t, r)
	req := &wire.ConverseRequest{Messages: []wire.Message{user(text(question), wire.ContentBlock{Document: &doc})}}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if diff := cmp.Diff([]string{question}, got.UserTexts); diff != "" {
			t.Errorf("request %d: user texts (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff([]Document{want}, got.Documents); diff != "" {
			t.Errorf("request %d: documents (-want +got):\n%s", i, diff)
		}
	}
}

func testTextDocument(t *testing.T, b Backend) {
	const notes = "Shopping list\n- milk\n- eggs\n"
	testDocument(t, b, Reply{Text: "Your notes list milk and eggs."}, "What is on my shopping list?",
		wire.DocumentBlock{Format: wire.DocumentFormatTxt, Name: "notes", Source: &wire.DocumentSource{Bytes: []byte(notes)}},
		Document{Name: "notes", Text: notes})
}

func testPDF(t *testing.T, b Backend) {
	doc := wire.DocumentBlock{Format: wire.DocumentFormatPdf, Name: "report", Source: &wire.DocumentSource{Bytes: []byte(onePagePDF)}}
	const question = "Summarise the report."
	if b.Can(ReadsPDF) {
		testDocument(t, b, Reply{Text: "The report has one empty page."}, question, doc, Document{Name: "report", PDF: []byte(onePagePDF)})
		return
	}
	// A backend that cannot read PDFs refuses them up front, as Bedrock
	// refuses what a model does not support: the caller's mistake, so a
	// ValidationException, and nothing reaches the model.
	s := b.Start(t, Reply{Text: "unused"})
	c := call(t, &wire.ConverseRequest{Messages: []wire.Message{user(text(question), wire.ContentBlock{Document: &doc})}})
	check := func(op string, err error) {
		t.Helper()
		var ex *wire.Exception
		switch {
		case !errors.As(err, &ex):
			t.Errorf("%s: error %v (%T), want a ValidationException", op, err, err)
		case ex.Type != wire.ValidationException:
			t.Errorf("%s: %s (%q), want a ValidationException", op, ex.Type, ex.Message)
		}
	}
	out, err := s.Provider.Converse(t.Context(), c)
	if err == nil {
		t.Fatalf("Converse answered %s, want a ValidationException", jsonOf(out))
	}
	check("Converse", err)
	n := 0
	for ev, err := range s.Provider.ConverseStream(t.Context(), c) {
		n++
		if err == nil {
			t.Fatalf("ConverseStream: event %s, want the error alone", ev.EventType())
		}
		check("ConverseStream", err)
	}
	if n != 1 {
		t.Errorf("ConverseStream yielded %d items, want the error alone", n)
	}
	received(t, b, s, 0)
}

// testCaching sends cachePoints after the system prompt, the tools and the
// first user turn. The backend must accept them; one that reports its own
// cache usage must pass the model's reads and writes through (checked by
// checkAnswers) and must have passed all three markers on, since its model
// caches only where asked.
func testCaching(t *testing.T, b Backend) {
	r := Reply{Text: "Paris is the capital of France.", Usage: Usage{Input: 12, Output: 9, CacheRead: 1152, CacheWrite: 348}}
	s := b.Start(t, r)
	cp := &wire.CachePointBlock{Type: wire.CachePointTypeDefault}
	tc := tools()
	tc.Tools = append(tc.Tools, wire.Tool{CachePoint: cp})
	const question = "What is the capital of France?"
	req := &wire.ConverseRequest{
		System: []wire.SystemContentBlock{
			{Text: wire.Ptr("You are a geography tutor. " + strings.Repeat("Answer in one sentence, and name the country. ", 20))},
			{CachePoint: cp},
		},
		ToolConfig: tc,
		Messages:   []wire.Message{user(text(question), wire.ContentBlock{CachePoint: cp})},
	}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	for i, got := range received(t, b, s, 2) {
		if diff := cmp.Diff([]string{question}, got.UserTexts); diff != "" {
			t.Errorf("request %d: user texts (-want +got):\n%s", i, diff)
		}
		if diff := cmp.Diff([]string{"get_weather", "get_time"}, got.Tools); diff != "" {
			t.Errorf("request %d: tools offered (-want +got):\n%s", i, diff)
		}
		if reportsCache(s.Provider) && got.CachePoints != 3 {
			t.Errorf("request %d: %d cache markers reached the model, want 3 (system, tools, message)", i, got.CachePoints)
		}
	}
}

// testReasoning: a reply with reasoning comes back as a reasoningContent
// block before the text; streamed, as reasoning text deltas in block 0
// followed (where the backend signs reasoning) by one signature delta.
func testReasoning(t *testing.T, b Backend) {
	if !b.Can(ScriptsReasoning) {
		t.Skipf("the backend's fake cannot script reasoning (no %s capability)", ScriptsReasoning)
	}
	r := Reply{
		Reasoning: "The user asks for the capital of France. That is Paris; I will answer directly.",
		Signature: "EqQBCkgIBxABGAIqQLtTXTdmg0c1pWcL3ZbxUYUtpd0uTZ1XrBAEDmb2tO0cxJB3JDFWlJ3ZBAVwBs3b9hq+Cp3BIfwRaXfZLAYbhuESDEm0h4wRs/r0M0xpnxoMp0ytM21GyVxWKlXbIjBgc1a2rRSlmWjgBb9MqEWEB3/tr0Ey0UjCeGUVmwHrVjAsq5QnFi3hnAPwvhHQrk8qEDKDFRyTs1gTbCthTQfBSqI=",
		Text:      "The capital of France is Paris.",
	}
	s := b.Start(t, r)
	req := &wire.ConverseRequest{
		Messages:                     []wire.Message{user(text("What is the capital of France?"))},
		InferenceConfig:              &wire.InferenceConfiguration{MaxTokens: wire.Ptr(2048)},
		AdditionalModelRequestFields: wire.Document(`{"thinking":{"type":"enabled","budget_tokens":1024}}`),
	}
	whole, streamed := converse(t, s.Provider, req)
	checkAnswers(t, b, s.Provider, r, whole, streamed)
	out, err := s.Provider.Converse(t.Context(), call(t, req))
	if err != nil {
		t.Fatalf("Converse: %v", err)
	}
	if c := out.Output.Message.Content; len(c) != 2 || c[0].ReasoningContent == nil || c[1].Text == nil {
		t.Errorf("Converse content %s, want a reasoningContent block, then text", jsonOf(c))
	}
	events, err := collect(t.Context(), s.Provider, call(t, req))
	if err != nil {
		t.Fatalf("ConverseStream: %v", err)
	}
	var kinds []string
	for _, ev := range events {
		if d := ev.ContentBlockDelta; d != nil && d.ContentBlockIndex == 0 {
			switch rc := d.Delta.ReasoningContent; {
			case rc == nil:
				kinds = append(kinds, "other")
			case rc.Signature != nil:
				kinds = append(kinds, "signature")
			case rc.Text != nil:
				if len(kinds) == 0 || kinds[len(kinds)-1] != "text" {
					kinds = append(kinds, "text")
				}
			}
		}
	}
	want := []string{"text"}
	if b.Can(SignsReasoning) {
		want = append(want, "signature")
	}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("block 0 deltas (-want +got, runs of reasoning text as one):\n%s\nevents:\n%s", diff, dump(events))
	}
}

// testBreakOff: a backend that fails after the answer began yields the
// events so far, then one error, a *wire.Exception a stream can carry for
// a model that broke off, and nothing after it.
func testBreakOff(t *testing.T, b Backend) {
	r := Reply{Text: "Once upon a time there was a", BreakOff: &Failure{Status: 503, Message: "Overloaded"}}
	s := b.Start(t, r)
	req := &wire.ConverseRequest{Messages: []wire.Message{user(text("Tell me a story."))}}
	var events []*wire.StreamEvent
	var failure error
	after := 0
	for ev, err := range s.Provider.ConverseStream(t.Context(), call(t, req)) {
		switch {
		case failure != nil:
			after++
		case err != nil:
			failure = err
		default:
			events = append(events, ev)
		}
	}
	if failure == nil {
		t.Fatalf("the stream ended without an error after:\n%s", dump(events))
	}
	if after != 0 {
		t.Errorf("the stream yielded %d more items after the error %v", after, failure)
	}
	var ex *wire.Exception
	want := []string{wire.ModelStreamErrorException, wire.ServiceUnavailableException}
	if !errors.As(failure, &ex) {
		t.Errorf("error %v (%T), want a *wire.Exception", failure, failure)
	} else if !slices.Contains(want, ex.Type) {
		t.Errorf("%s (%q), want %s", ex.Type, ex.Message, strings.Join(want, " or "))
	}
	var text strings.Builder
	for i, ev := range events {
		switch {
		case i == 0 && ev.MessageStart == nil:
			t.Errorf("first event %s, want messageStart", ev.EventType())
		case i == 0:
		case ev.ContentBlockDelta != nil && ev.ContentBlockDelta.ContentBlockIndex == 0 && ev.ContentBlockDelta.Delta.Text != nil:
			text.WriteString(*ev.ContentBlockDelta.Delta.Text)
		case ev.ContentBlockStart != nil || ev.ContentBlockDelta != nil:
		default:
			t.Errorf("event %d is %s, which a stream that breaks off after its first text piece cannot have sent", i, ev.EventType())
		}
	}
	if first := Words(r.Text)[0]; text.String() != first {
		t.Errorf("text before the error %q, want the first piece %q\nevents:\n%s", text.String(), first, dump(events))
	}
	if b.Can(SeesRequests) {
		if got := s.Received(); len(got) != 1 || !got[0].Stream {
			t.Errorf("the model received %s, want one streamed request", jsonOf(got))
		}
	}
}
