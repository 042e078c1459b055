package wire

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestEmbeddedModelMatchesTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/bedrock-runtime.service-2.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, apiModelJSON) {
		t.Error("apimodel/bedrock-runtime.service-2.json differs from testdata/bedrock-runtime.service-2.json; copy the newer one over the other")
	}
}

// TestEveryPatternIsChecked walks the model: every pattern reachable from
// the three operations must be in the plan, compiled or hand-written.
func TestEveryPatternIsChecked(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseModel()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(string)
	want := map[string]bool{}
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		s := m.Shapes[n]
		if s.Exception {
			return
		}
		if s.Pattern != "" {
			want[s.Pattern] = true
		}
		for _, r := range []*modelRef{s.Member, s.Key, s.Value} {
			if r != nil {
				walk(r.Shape)
			}
		}
		for _, r := range s.Members {
			walk(r.Shape)
		}
	}
	for _, root := range []string{"ConverseRequest", "ConverseStreamRequest", "CountTokensRequest", "ApplyGuardrailRequest"} {
		walk(root)
	}
	if len(want) < 5 {
		t.Fatalf("only %d patterns reachable", len(want))
	}
	for p := range want {
		mt, ok := v.patterns[p]
		if !ok {
			t.Errorf("pattern %q is not in the plan", p)
			continue
		}
		if mt.re == nil && mt.hand == nil {
			t.Errorf("pattern %q has neither a regexp nor a hand-written check", p)
		}
	}
	for p := range handPatterns {
		if !want[p] {
			t.Errorf("hand-written pattern %q is no longer in the model", p)
		}
	}
}

func TestPatternsAreAnchored(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", true},
		{"us.anthropic.claude-3-haiku-20240307-v1:0", true},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", true},
		{"anthropic.claude-v2:0:100k/x", false},
		{"has space", false},
	} {
		req := &ConverseRequest{ModelID: tc.id, Messages: []Message{{Role: "user", Content: []ContentBlock{{Text: Ptr("hi")}}}}}
		err := v.Converse(req, false)
		if (err == nil) != tc.ok {
			t.Errorf("%q: got %v, want ok=%v", tc.id, err, tc.ok)
		}
	}
}

func TestValidatorConcurrentUse(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			req := typicalRequest()
			if err := v.Converse(req, true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestValidDocumentName(t *testing.T) {
	for name, want := range map[string]bool{
		"Report": true, "my_report": true, "Q3 (final) [v2]-x": true, "a b": true,
		"a  b": false, "a\tb": false, "report.pdf": false, "年度\u3000报告": false, "résumé": false, "a/b": false,
	} {
		if got := ValidDocumentName(name); got != want {
			t.Errorf("ValidDocumentName(%q) = %v, want %v", name, got, want)
		}
	}
}

func typicalRequest() *ConverseRequest {
	req := &ConverseRequest{
		ModelID:         "us.anthropic.claude-sonnet-4-20250514-v1:0",
		System:          []SystemContentBlock{{Text: Ptr("You are terse.")}, {CachePoint: &CachePointBlock{Type: "default"}}},
		InferenceConfig: &InferenceConfiguration{MaxTokens: Ptr(512), Temperature: Ptr[float32](0.2)},
		ToolConfig: &ToolConfiguration{Tools: []Tool{{ToolSpec: &ToolSpecification{
			Name: "get_weather", Description: Ptr("Weather"), InputSchema: &ToolInputSchema{JSON: Document(`{"type":"object"}`)},
		}}}},
	}
	for i := range 10 {
		switch {
		case i%2 == 0:
			req.Messages = append(req.Messages, Message{Role: "user", Content: []ContentBlock{{Text: Ptr(strings.Repeat("question ", 40))}}})
		case i == 5:
			req.Messages = append(req.Messages, Message{Role: "assistant", Content: []ContentBlock{{ToolUse: &ToolUseBlock{ToolUseID: "t1", Name: "get_weather", Input: Document(`{"city":"Paris"}`)}}}})
		default:
			req.Messages = append(req.Messages, Message{Role: "assistant", Content: []ContentBlock{{Text: Ptr(strings.Repeat("answer ", 60))}}})
		}
	}
	req.Messages[6].Content = append(req.Messages[6].Content, ContentBlock{ToolResult: &ToolResultBlock{ToolUseID: "t1", Content: []ToolResultContentBlock{{Text: Ptr("20C")}}}})
	return req
}

func BenchmarkValidateConverse10Messages(b *testing.B) {
	v, err := NewValidator()
	if err != nil {
		b.Fatal(err)
	}
	req := typicalRequest()
	if err := v.Converse(req, false); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Converse(req, false); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`,
		`{"messages":[{"role":"user","content":[{}]}],"toolConfig":{"tools":[]}}`,
		`{"messages":[{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"b","input":{}}}]}],"requestMetadata":{"k":"v"}}`,
		`{"input":{"converse":{"messages":[]}}}`,
		`{"inferenceConfig":{"maxTokens":-1,"temperature":9}}`,
		`[`,
	} {
		f.Add([]byte(s))
	}
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	check := func(t *testing.T, err error) {
		if err == nil {
			return
		}
		var ex *Exception
		if !errors.As(err, &ex) || (ex.Type != ValidationException && ex.Type != SerializationException) {
			t.Fatalf("rejection is not a Validation/SerializationException: %v", err)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req ConverseRequest
		if err := Decode(body, &req); err != nil {
			check(t, err)
		} else {
			req.ModelID = "anthropic.claude-3-haiku-20240307-v1:0"
			check(t, v.Converse(&req, len(body)%2 == 0))
		}
		var ct CountTokensRequest
		if err := Decode(body, &ct); err != nil {
			check(t, err)
			return
		}
		ct.ModelID = "anthropic.claude-3-haiku-20240307-v1:0"
		check(t, v.CountTokens(&ct))
	})
}

// Model IDs found valid are remembered, up to a bound, and only valid ones:
// an invalid ID is refused every time, and a flood of distinct IDs cannot
// grow the memory past maxValidIDs.
func TestValidModelIDsRemembered(t *testing.T) {
	v, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	req := func(id string) *ConverseRequest {
		return &ConverseRequest{ModelID: id, Messages: []Message{{Role: ConversationRoleUser, Content: []ContentBlock{{Text: Ptr("hi")}}}}}
	}
	for range 3 {
		if err := v.Converse(req("anthropic.claude-3-haiku-20240307-v1:0"), false); err != nil {
			t.Fatalf("valid ID: %v", err)
		}
		if err := v.Converse(req("bad id with spaces"), false); err == nil || !strings.Contains(err.Error(), "modelId") {
			t.Fatalf("invalid ID: %v, want a modelId violation", err)
		}
	}
	for i := range 2 * maxValidIDs {
		if err := v.Converse(req(fmt.Sprintf("vendor.model-%d", i)), true); err != nil {
			t.Fatalf("valid ID %d: %v", i, err)
		}
	}
	n := 0
	v.conversationalIDs.ids.Range(func(any, any) bool { n++; return true })
	if n > maxValidIDs || int(v.conversationalIDs.n.Load()) != n {
		t.Errorf("%d IDs remembered (count %d), bound %d", n, v.conversationalIDs.n.Load(), maxValidIDs)
	}
	if _, ok := v.conversationalIDs.ids.Load("bad id with spaces"); ok {
		t.Error("an invalid ID was remembered as valid")
	}
}
