package builtin_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/provider/providertest"
	"github.com/conversekit/converse/internal/tokens"
)

var suiteTokens = sync.OnceValues(tokens.New)

// scriptBackend drives the built-in model with a script of one rule
// answering every call (docs/emulator.md, "Scripted rules").
type scriptBackend struct{}

func (scriptBackend) Start(t *testing.T, r providertest.Reply) *providertest.Session {
	t.Helper()
	tok, err := suiteTokens()
	if err != nil {
		t.Fatal(err)
	}
	script, err := builtin.ParseScript(scriptFor(t, r))
	if err != nil {
		t.Fatalf("script: %v", err)
	}
	return &providertest.Session{Provider: builtin.New(builtin.Options{Tokens: tok, Script: script})}
}

// Can: a script raises any exception, so failures by status are
// expressible (as the exception Bedrock documents for the status); the
// model reads PDFs (media.go); its reasoning is its own, derived from the
// request, so a script cannot set it; the model is in process, so there is
// no request to observe.
func (scriptBackend) Can(c providertest.Capability) bool {
	return c == providertest.FailByStatus || c == providertest.ReadsPDF
}

// scriptFor writes r as a script. JSON is YAML, so the script is built as
// JSON.
func scriptFor(t *testing.T, r providertest.Reply) []byte {
	t.Helper()
	reply := map[string]any{}
	if r.Text != "" {
		reply["text"] = r.Text
	}
	for _, tc := range r.ToolCalls {
		input := tc.Input
		if input == nil {
			input = map[string]any{} // the script's "no arguments"; left out, the model would fill the schema
		}
		uses, _ := reply["toolUse"].([]any)
		reply["toolUse"] = append(uses, map[string]any{"name": tc.Name, "toolUseId": tc.ID, "input": input})
	}
	u := r.Tokens()
	usage := map[string]any{"inputTokens": u.Input, "outputTokens": u.Output}
	if u.CacheRead > 0 || u.CacheWrite > 0 {
		usage["cacheReadInputTokens"], usage["cacheWriteInputTokens"] = u.CacheRead, u.CacheWrite
	}
	reply["usage"] = usage
	if f := r.BreakOff; f != nil {
		// messageStart and the first text piece go out, then the failure.
		ex := providertest.Exception(*f)
		reply["exception"] = map[string]any{"type": ex.Type, "message": ex.Message, "originalStatusCode": ex.OriginalStatusCode}
		reply["failAfter"] = 2
	}
	if f := r.Fail; f != nil {
		ex := providertest.Exception(*f)
		reply = map[string]any{"exception": map[string]any{"type": ex.Type, "message": ex.Message, "originalStatusCode": ex.OriginalStatusCode}}
	}
	b, err := json.Marshal(map[string]any{"rules": []any{map[string]any{"name": "providertest", "reply": reply}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProviderSuite(t *testing.T) { providertest.Run(t, scriptBackend{}) }
