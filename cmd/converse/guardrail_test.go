package main

import (
	"os"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/config"
	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/wire"
)

// The guardrail of docs/config.md compiles and behaves as documented.
func TestDocumentedGuardrail(t *testing.T) {
	b, err := os.ReadFile("../../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "```yaml\n")
	doc, _, _ := strings.Cut(rest, "```")
	for _, env := range []string{"SEARCH_TEAM_SECRET", "SEARCH_TEAM_BEDROCK_API_KEY", "OLLAMA_KEY", "ANTHROPIC_API_KEY", "REDIS_URL"} {
		t.Setenv(env, "x")
	}
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	set, err := guardrails(cfg)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := set.Lookup("support", "1")
	if !ok {
		t.Fatal("guardrail support version 1 missing")
	}
	res, err := g.Assess(guardrail.Request{Source: guardrail.Output, Content: []guardrail.Text{{Text: "Order ORD-123456 for jane@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	// output_action BLOCK wins over action ANONYMIZE for the regex.
	if !res.Blocked || res.Assessment.SensitiveInformationPolicy.PIIEntities[0].Action != wire.GuardrailSensitiveInformationPolicyActionANONYMIZED {
		t.Errorf("blocked %v, assessment %+v", res.Blocked, res.Assessment.SensitiveInformationPolicy)
	}
	cfg.Guardrails[0].Words.InputAction = "ANONYMIZE"
	if _, err := guardrails(cfg); err == nil || !strings.Contains(err.Error(), "guardrail 0 (support version 1)") {
		t.Errorf("a bad action: %v", err)
	}
}
