package wire

import (
	"errors"
	"strings"
	"testing"
)

func TestGuardrailRules(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	guard := func(s string) ContentBlock {
		return ContentBlock{GuardContent: &GuardrailConverseContentBlock{Text: &GuardrailConverseTextBlock{Text: s}}}
	}
	cfg := &GuardrailStreamConfiguration{GuardrailIdentifier: "gr1", GuardrailVersion: "1"}
	for _, tc := range []struct {
		name string
		req  ConverseRequest
		want string // substring of the ValidationException; "" = valid
	}{
		{"guardContent with guardrailConfig", ConverseRequest{GuardrailConfig: cfg, Messages: []Message{{Role: "user", Content: []ContentBlock{guard("hi")}}}}, ""},
		{"guardContent in a message without guardrailConfig", ConverseRequest{Messages: []Message{{Role: "user", Content: []ContentBlock{{Text: Ptr("a")}, guard("hi")}}}}, "messages.0.content.1 is a guardContent block, but the request has no guardrailConfig"},
		{"guardContent in system without guardrailConfig", ConverseRequest{
			System:   []SystemContentBlock{{GuardContent: &GuardrailConverseContentBlock{Text: &GuardrailConverseTextBlock{Text: "x"}}}},
			Messages: []Message{{Role: "user", Content: []ContentBlock{{Text: Ptr("a")}}}},
		}, "system.0 is a guardContent block"},
		{"bad guardrail version", ConverseRequest{GuardrailConfig: &GuardrailStreamConfiguration{GuardrailIdentifier: "gr1", GuardrailVersion: "v1"}, Messages: []Message{{Role: "user", Content: []ContentBlock{{Text: Ptr("a")}}}}}, "guardrailConfig.guardrailVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.ModelID = "anthropic.claude-3-haiku-20240307-v1:0"
			err := v.Converse(&tc.req, false)
			checkValidation(t, err, tc.want)
		})
	}
}

func TestValidateApplyGuardrail(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	text := []GuardrailContentBlock{{Text: &GuardrailTextBlock{Text: "hello"}}}
	for _, tc := range []struct {
		name string
		req  ApplyGuardrailRequest
		want string
	}{
		{"valid", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "DRAFT", Source: "INPUT", Content: text}, ""},
		{"ARN identifier", ApplyGuardrailRequest{GuardrailIdentifier: "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1", GuardrailVersion: "1", Source: "OUTPUT", Content: text, OutputScope: "FULL"}, ""},
		{"no source", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "1", Content: text}, "at 'source' failed to satisfy constraint: Member must not be null"},
		{"bad source", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "1", Source: "BOTH", Content: text}, "Value 'BOTH' at 'source'"},
		{"bad scope", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "1", Source: "INPUT", Content: text, OutputScope: "ALL"}, "at 'outputScope'"},
		{"no content", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "1", Source: "INPUT"}, "at 'content' failed to satisfy constraint: Member must not be null"},
		{"bad version", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "0", Source: "INPUT", Content: text}, "Value '0' at 'guardrailVersion'"},
		{"bad identifier", ApplyGuardrailRequest{GuardrailIdentifier: "GR 1", GuardrailVersion: "1", Source: "INPUT", Content: text}, "at 'guardrailIdentifier'"},
		{"empty union", ApplyGuardrailRequest{GuardrailIdentifier: "gr1", GuardrailVersion: "1", Source: "INPUT", Content: []GuardrailContentBlock{{}}}, "content.1.member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkValidation(t, v.ApplyGuardrail(&tc.req), tc.want)
		})
	}
}

func checkValidation(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ex *Exception
	if !errors.As(err, &ex) || ex.Type != ValidationException {
		t.Fatalf("got %v, want a ValidationException containing %q", err, want)
	}
	if !strings.Contains(ex.Message, want) {
		t.Errorf("message %q does not contain %q", ex.Message, want)
	}
}
