package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/wire"
)

func TestLookup(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		id, want string
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"us.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0"},
		{"apac.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"},
		{"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"},
		{"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0"},
		{"anthropic.claude-opus-4-6-v1:0", ""},
		{"us.us.anthropic.claude-3-haiku-20240307-v1:0", ""},
		{"arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abcdefabcdef", ""},
		{"claude-haiku-4-5", ""},
	} {
		m, ok := c.Lookup(tc.id)
		if ok != (tc.want != "") || m.ID != tc.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tc.id, m.ID, ok, tc.want)
		}
	}
}

func TestEveryEntryHasSourceAndFamily(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range New().Models() {
		if m.Source == "" || m.Family == "" || m.Provider == "" || m.Name == "" {
			t.Errorf("%s: missing source, family, provider or name", m.ID)
		}
		if seen[m.ID] {
			t.Errorf("%s listed twice", m.ID)
		}
		seen[m.ID] = true
		if !strings.HasPrefix(m.ID, m.Provider+".") {
			t.Errorf("%s: ID does not start with provider %q", m.ID, m.Provider)
		}
		if m.CacheTools && !m.CacheSystem {
			t.Errorf("%s: tool cache points without system cache points", m.ID)
		}
	}
	if len(seen) < 40 {
		t.Errorf("only %d models", len(seen))
	}
}

func TestUnknownModel(t *testing.T) {
	ex := UnknownModel("nope")
	if ex.Type != wire.ValidationException || ex.HTTPStatus() != 400 || ex.Message != "The provided model identifier is invalid." {
		t.Errorf("got %+v", ex)
	}
}

func TestNovaRejectsToolCachePoint(t *testing.T) {
	c := New()
	m, _ := c.Lookup("us.amazon.nova-pro-v1:0")
	req := &wire.ConverseRequest{ToolConfig: &wire.ToolConfiguration{Tools: []wire.Tool{{CachePoint: &wire.CachePointBlock{Type: "default"}}}}}
	err := c.CheckCapabilities(m, req)
	if err == nil || !strings.Contains(err.Error(), "extraneous key [cachePoint]") {
		t.Errorf("got %v", err)
	}
	claude, _ := c.Lookup("anthropic.claude-3-7-sonnet-20250219-v1:0")
	if err := c.CheckCapabilities(claude, req); err != nil {
		t.Errorf("claude: %v", err)
	}
}

func TestForms(t *testing.T) {
	const haiku = "anthropic.claude-3-haiku-20240307-v1:0"
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{haiku, []string{haiku}},
		{"us." + haiku, []string{"us." + haiku, haiku}},
		{"arn:aws:bedrock:us-east-1::foundation-model/" + haiku, []string{"arn:aws:bedrock:us-east-1::foundation-model/" + haiku, haiku}},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global." + haiku, []string{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/global." + haiku, "global." + haiku, haiku}},
		{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123", []string{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"}},
		{"arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345", []string{"arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345"}},
		{"arn:aws:s3:::bucket/anthropic.x", []string{"arn:aws:s3:::bucket/anthropic.x"}},
		{"haiku", []string{"haiku"}},
	} {
		if diff := cmp.Diff(tc.want, Forms(tc.id)); diff != "" {
			t.Errorf("Forms(%q) (-want +got):\n%s", tc.id, diff)
		}
	}
}
