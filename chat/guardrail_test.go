package chat_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/servertest"
)

const (
	blockedIn  = "Sorry, I cannot help with that request."
	blockedOut = "Sorry, the answer was withheld."
)

// guardScript scripts the built-in model's answers for output checks.
var guardScript = `
rules:
  - match: {text: "(?i)say an email"}
    reply: {text: "Write to jane.doe@example.com for details."}
  - match: {text: "(?i)how tall"}
    reply: {text: "The Eiffel Tower is 330 metres tall."}
  - match: {text: "(?i)off topic"}
    reply: {text: "Bananas are yellow berries."}
`

// guardrails are a word policy, e-mail masking and contextual grounding,
// as guardrail "gr1" version 1.
func guardrails(t testing.TB) *guardrail.Set {
	t.Helper()
	s, err := guardrail.New([]guardrail.Config{{
		ID: "gr1", Version: "1",
		BlockedInputMessaging: blockedIn, BlockedOutputsMessaging: blockedOut,
		Words: guardrail.WordPolicy{Words: []string{"blorp"}},
		SensitiveInformation: guardrail.SensitiveInformationPolicy{PIIEntities: []guardrail.PIIEntity{
			{Type: "EMAIL", Actions: guardrail.IO{Input: guardrail.Anonymize, Output: guardrail.Anonymize}},
		}},
		ContextualGrounding: []guardrail.GroundingFilter{{Type: "GROUNDING", Threshold: 0.5}, {Type: "RELEVANCE", Threshold: 0.3}},
	}}, guardrail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startGuarded runs converse with the guardrails and the scripted model;
// the requests reaching the model are recorded.
func startGuarded(t testing.TB) (string, *recording) {
	t.Helper()
	script, err := builtin.ParseScript([]byte(guardScript))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recording{Provider: builtin.New(builtin.Options{Tokens: counter(t), Script: script})}
	return servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"test": rec}, Default: "test", Guardrails: guardrails(t)}), rec
}

var gr1 = chat.Options{Guardrail: &chat.GuardrailConfig{Identifier: "gr1", Version: "1"}}

// A blocked prompt is an answer, not an error: the guardrail's message,
// stop reason guardrail_intervened and, with the trace on, what each
// policy found. The guardrail named in the client's defaults applies to
// every call; a call's options change single fields of it.
func TestGuardrailCall(t *testing.T) {
	endpoint, rec := startGuarded(t)
	c := newClient(t, endpoint, chat.WithOptions(gr1))
	traced := chat.Options{Guardrail: &chat.GuardrailConfig{Trace: types.GuardrailTraceEnabled}}

	resp, err := c.Prompt("Tell me about blorp.").Options(traced).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GuardrailIntervened() || resp.StopReason != types.StopReasonGuardrailIntervened || resp.Text != blockedIn {
		t.Errorf("blocked prompt: %s %q", resp.StopReason, resp.Text)
	}
	if resp.Guardrail == nil || resp.Guardrail.InputAssessment["gr1"].WordPolicy == nil {
		t.Fatalf("trace %+v, want the word policy's finding", resp.Guardrail)
	}
	if got := resp.Metadata["guardrailActionReason"]; got != "Guardrail blocked." {
		t.Errorf("metadata guardrailActionReason %v", got)
	}
	if rec.count() != 0 {
		t.Errorf("a blocked prompt reached the model")
	}

	// A clean prompt with the trace off: the model's answer, no trace.
	resp, err = c.Prompt(`Say "Hello there."`).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if resp.GuardrailIntervened() || resp.Guardrail != nil || resp.Text != "Hello there." {
		t.Errorf("clean prompt: %s %q, trace %+v", resp.StopReason, resp.Text, resp.Guardrail)
	}

	// Masking the answer.
	resp, err = c.Prompt("Please say an email.").Options(traced).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "Write to {EMAIL} for details." || !resp.GuardrailIntervened() || len(resp.Guardrail.ModelOutput) != 1 {
		t.Errorf("masked answer: %s %q, modelOutput %q", resp.StopReason, resp.Text, resp.Guardrail.ModelOutput)
	}

	// Without the client's guardrail the same prompt goes through.
	plain := newClient(t, endpoint)
	resp, err = plain.Prompt("Tell me about blorp.").Call(t.Context())
	if err != nil || resp.GuardrailIntervened() {
		t.Errorf("unguarded client: %v %s", err, resp.StopReason)
	}
}

// Guarded text: only guardContent is assessed when a request has any;
// grounding sources and queries feed the grounding check.
func TestGuardContent(t *testing.T) {
	endpoint, _ := startGuarded(t)
	c := newClient(t, endpoint, chat.WithOptions(gr1))
	source := chat.GuardText("The Eiffel Tower in Paris is 330 metres tall.", chat.QualifierGroundingSource)
	query := chat.GuardText("How tall is the Eiffel Tower?", chat.QualifierQuery)
	for _, tc := range []struct {
		name string
		p    chat.Prompt
		want string
		stop types.StopReason
	}{
		{"guarded user text", c.Prompt().GuardedUser("Tell me about blorp."), blockedIn, types.StopReasonGuardrailIntervened},
		{"only guarded text is assessed", c.Prompt().User(`Tell me about blorp. Say "fine."`, chat.GuardText("Hello there")), "fine.", types.StopReasonEndTurn},
		{"guarded system", c.Prompt().GuardedSystem("Always talk about blorp.").User("Hi"), blockedIn, types.StopReasonGuardrailIntervened},
		{"unguarded system beside guarded text", c.Prompt().System("Always talk about blorp.").User(`Say "fine."`, chat.GuardText("Hi")), "fine.", types.StopReasonEndTurn},
		{"grounded", c.Prompt().User("How tall is it?", source, query), "The Eiffel Tower is 330 metres tall.", types.StopReasonEndTurn},
		{"ungrounded", c.Prompt().User("Go off topic.", source, query), blockedOut, types.StopReasonGuardrailIntervened},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.p.Call(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text != tc.want || resp.StopReason != tc.stop {
				t.Errorf("got %q (%s), want %q (%s)", resp.Text, resp.StopReason, tc.want, tc.stop)
			}
		})
	}
	// Guarded text without a guardrail is refused by Bedrock's rule.
	_, err := newClient(t, endpoint).Prompt().GuardedUser("Hello").Call(t.Context())
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("guardContent without guardrailConfig: %v, want ValidationException", err)
	}
}

// Streams carry the processing mode: sync masks before sending, async
// sends at once and cannot; the trace arrives with the last chunk.
func TestGuardrailStream(t *testing.T) {
	endpoint, _ := startGuarded(t)
	c := newClient(t, endpoint, chat.WithOptions(gr1))
	for _, tc := range []struct {
		mode types.GuardrailStreamProcessingMode
		want string
		stop types.StopReason
	}{
		{types.GuardrailStreamProcessingModeSync, "Write to {EMAIL} for details.", types.StopReasonGuardrailIntervened},
		{types.GuardrailStreamProcessingModeAsync, "Write to jane.doe@example.com for details.", types.StopReasonEndTurn},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			var text strings.Builder
			var stop types.StopReason
			var trace *types.GuardrailTraceAssessment
			opts := chat.Options{Guardrail: &chat.GuardrailConfig{Trace: types.GuardrailTraceEnabled, StreamProcessingMode: tc.mode}}
			for ch, err := range c.Prompt("Please say an email.").Options(opts).Stream(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				text.WriteString(ch.Text)
				if ch.StopReason != "" {
					stop = ch.StopReason
				}
				if ch.Usage != nil {
					trace = ch.Guardrail
				}
			}
			if text.String() != tc.want || stop != tc.stop {
				t.Errorf("got %q (%s), want %q (%s)", text.String(), stop, tc.want, tc.stop)
			}
			if trace == nil || trace.OutputAssessments["gr1"] == nil {
				t.Errorf("trace %+v, want the output assessment", trace)
			}
		})
	}
}

// Options merge field by field; an incomplete guardrail fails before
// anything is sent.
func TestGuardrailOptions(t *testing.T) {
	endpoint, rec := startGuarded(t)
	c := newClient(t, endpoint, chat.WithOptions(chat.Options{Guardrail: &chat.GuardrailConfig{Identifier: "gr1"}}))
	_, err := c.Prompt("Hi").Call(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Identifier and Version") {
		t.Errorf("no version: %v", err)
	}
	if _, err := c.Prompt("Hi").Options(chat.Options{Guardrail: &chat.GuardrailConfig{Version: "1"}}).Call(t.Context()); err != nil {
		t.Errorf("version from the call's options: %v", err)
	}
	if rec.count() != 1 {
		t.Errorf("%d requests reached the model, want 1", rec.count())
	}
	// An unknown guardrail is Bedrock's error, typed.
	_, err = c.Prompt("Hi").Options(chat.Options{Guardrail: &chat.GuardrailConfig{Identifier: "nope", Version: "1"}}).Call(t.Context())
	var ve *types.ValidationException
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &ve) && !errors.As(err, &nf) {
		t.Errorf("unknown guardrail: %v", err)
	}
}

// Guarded text survives a chat memory store.
func TestGuardContentCodec(t *testing.T) {
	msgs := []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		&types.ContentBlockMemberText{Value: "How tall is it?"},
		chat.GuardText("The tower is 330 m tall.", chat.QualifierGroundingSource, chat.QualifierQuery).Block(),
	}}}
	raw, err := chat.MarshalMessages(msgs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := chat.UnmarshalMessages(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := asJSON(t, back), asJSON(t, msgs); got != want {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(string(raw), `"guardContent":{"text":{"text":"The tower is 330 m tall.","qualifiers":["grounding_source","query"]}}`) {
		t.Errorf("stored form %s", raw)
	}
}
