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
// to each other.
func checkAnswers(t *testing.T, r Reply, whole, streamed Answer) {
	t.Helper()
	wantStop := wire.StopReasonEndTurn
	if len(r.ToolCalls) > 0 {
		wantStop = wire.StopReasonToolUse
	}
	u := r.Tokens()
	for _, a := range []struct {
		op  string
		got Answer
	}{{"Converse", whole}, {"ConverseStream", streamed}} {
		if a.got.Text != r.Text {
			t.Errorf("%s: text %q, want %q", a.op, a.got.Text, r.Text)
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
		if a.got.Usage.InputTokens != u.Input || a.got.Usage.OutputTokens != u.Output {
			t.Errorf("%s: usage %s, want the model's %d input and %d output tokens", a.op, jsonOf(a.got.Usage), u.Input, u.Output)
		}
	}
	if diff := cmp.Diff(whole, streamed); diff != "" {
		t.Errorf("Converse and ConverseStream disagree (-Converse +ConverseStream):\n%s", diff)
	}
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
	checkAnswers(t, r, whole, streamed)
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
	checkAnswers(t, r, whole, streamed)
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
	checkAnswers(t, r, whole, streamed)
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
	checkAnswers(t, r, whole, streamed)
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
