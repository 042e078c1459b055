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

// The prompt-cache figures match AWS's prompt-caching page, row by row
// ([cache] and [cache-2025] in models.yaml), and each row names its source.
func TestCacheFiguresFromAWSDocs(t *testing.T) {
	c := New()
	for _, tc := range []struct {
		id       string
		minCache int
		ttl1h    bool
	}{
		{"anthropic.claude-3-haiku-20240307-v1:0", 0, false},
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", 1024, false},
		{"anthropic.claude-3-5-haiku-20241022-v1:0", 2048, false},
		{"anthropic.claude-3-7-sonnet-20250219-v1:0", 1024, false},
		{"anthropic.claude-sonnet-4-20250514-v1:0", 1024, false},
		{"anthropic.claude-opus-4-20250514-v1:0", 1024, false},
		{"anthropic.claude-opus-4-1-20250805-v1:0", 1024, false},
		{"anthropic.claude-sonnet-4-5-20250929-v1:0", 1024, true},
		{"anthropic.claude-haiku-4-5-20251001-v1:0", 4096, true},
		{"anthropic.claude-opus-4-5-20251101-v1:0", 4096, true},
		{"anthropic.claude-sonnet-4-6", 1024, true},
		{"anthropic.claude-opus-4-6-v1", 4096, true},
		{"anthropic.claude-opus-4-7", 4096, true},
		{"anthropic.claude-opus-4-8", 1024, true},
		{"anthropic.claude-sonnet-5", 1024, true},
		{"anthropic.claude-opus-5", 512, true},
		{"amazon.nova-micro-v1:0", 1000, false},
		{"amazon.nova-pro-v1:0", 1000, false},
		{"amazon.nova-premier-v1:0", 1000, false},
	} {
		m, ok := c.Lookup(tc.id)
		if !ok {
			t.Errorf("%s: not in the catalogue", tc.id)
			continue
		}
		if m.MinCacheTokens != tc.minCache || m.CacheTTL1h != tc.ttl1h {
			t.Errorf("%s: minimum %d, 1h TTL %v; the AWS page says %d, %v", tc.id, m.MinCacheTokens, m.CacheTTL1h, tc.minCache, tc.ttl1h)
		}
		if m.MinCacheTokens > 0 && !strings.Contains(m.Source, "[cache") {
			t.Errorf("%s: source %q does not cite the prompt-caching page", tc.id, m.Source)
		}
	}
}

// The model IDs real SDKs and AWS samples use as defaults resolve.
func TestSDKDefaultModelIDs(t *testing.T) {
	c := New()
	for _, id := range []string{
		"global.anthropic.claude-sonnet-4-6",               // strands-agents DEFAULT_BEDROCK_MODEL_ID
		"us.anthropic.claude-sonnet-4-20250514-v1:0",       // strands-agents, earlier releases
		"global.anthropic.claude-sonnet-4-5-20250929-v1:0", // AWS samples
		"global.anthropic.claude-haiku-4-5-20251001-v1:0",  // AWS samples
		"global.anthropic.claude-opus-4-5-20251101-v1:0",   // AWS samples
		"us.anthropic.claude-opus-4-6-v1",                  // Opus 4.6 profile
		"anthropic.claude-opus-4-7",                        // [cache] table
		"amazon.nova-lite-v1:0",                            // AWS's Converse tool example
		"global.amazon.nova-2-lite-v1:0",                   // Nova 2 Lite profile
		"us.amazon.nova-2-pro-preview-20251202-v1:0",       // Nova 2 Pro preview
		"us.meta.llama4-maverick-17b-instruct-v1:0",        // Llama 4
		"us.meta.llama4-scout-17b-instruct-v1:0",           // Llama 4
		"anthropic.claude-3-haiku-20240307-v1:0",           // AWS's Converse examples
	} {
		if _, ok := c.Lookup(id); !ok {
			t.Errorf("%s does not resolve", id)
		}
	}
}
