package builtin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

// schemaCase is one file of testdata/schemas (see its NOTICE.md).
type schemaCase struct {
	Source      string          `json:"source"`
	Description string          `json:"description"`
	Question    string          `json:"question"`
	Schema      json.RawMessage `json:"schema"`
}

func loadSchemaCases(t *testing.T) map[string]schemaCase {
	t.Helper()
	files, err := filepath.Glob("testdata/schemas/*.json")
	if err != nil || len(files) < 12 {
		t.Fatalf("schema corpus: %d files, %v", len(files), err)
	}
	out := map[string]schemaCase{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c schemaCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Source == "" {
			t.Errorf("%s has no source note", f)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = c
	}
	return out
}

// validAgainst checks v with jsonschema-go directly (independently of
// schema.go) plus the formats the corpus uses.
func validAgainst(t *testing.T, schema []byte, v []byte) {
	t.Helper()
	var s jsonschema.Schema
	if err := json.Unmarshal(schema, &s); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	var inst any
	if err := json.Unmarshal(v, &inst); err != nil {
		t.Fatalf("not JSON: %s", v)
	}
	if err := rs.Validate(inst); err != nil {
		t.Errorf("%s\nis not valid: %v", v, err)
	}
	d, _ := compileSchema(schema)
	if err := d.checkFormats(d.root, inst, 0); err != nil {
		t.Errorf("%s\nbreaks a format: %v", v, err)
	}
}

// Every real-world tool schema of the corpus gets a tool input that is
// valid against it, whether the tool is forced or chosen from the question.
func TestToolInputsValidAgainstRealSchemas(t *testing.T) {
	m := newModel(t)
	for name, c := range loadSchemaCases(t) {
		for _, choice := range []string{`{"tool":{"name":"t"}}`, `{"any":{}}`} {
			t.Run(name+"/"+choice[2:5], func(t *testing.T) {
				body := `{"messages":[{"role":"user","content":[{"text":` + quoteJSON(c.Question) + `}]}],` +
					`"toolConfig":{"tools":[{"toolSpec":{"name":"t","description":` + quoteJSON(c.Description) + `,"inputSchema":{"json":` + string(c.Schema) + `}}}],"toolChoice":` + choice + `}}`
				out, err := m.Converse(t.Context(), &provider.Call{ModelID: "m", Request: decode(t, body)})
				if err != nil {
					t.Fatal(err)
				}
				var input wire.Document
				for _, b := range out.Output.Message.Content {
					if b.ToolUse != nil {
						input = b.ToolUse.Input
					}
				}
				if input == nil {
					t.Fatalf("no tool call: %+v", out.Output.Message.Content)
				}
				validAgainst(t, c.Schema, input)
			})
		}
	}
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The repair keeps what of the picked values already fits.
func TestConformKeepsFittingValues(t *testing.T) {
	d, err := compileSchema([]byte(`{"type":"object","properties":{"city":{"type":"string","minLength":2},"days":{"type":"integer","minimum":1,"maximum":7},"unit":{"enum":["c","f"]}},"required":["city","days","unit"],"additionalProperties":false}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.conform(map[string]any{"city": "Paris", "days": 30.0, "unit": "kelvin", "extra": true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"city": "Paris", "days": 7.0, "unit": "c"}
	if !sameJSON(got, want) {
		t.Errorf("conform = %v, want %v", got, want)
	}
}

func TestFromPatternMatches(t *testing.T) {
	for _, p := range []string{`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`, `^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_-]+$`, `\d{3}-\d{4}`, `^(foo|bar)+baz?$`, `^[^\s@]+@[^\s@]+$`, `^\p{Lu}\w*$`} {
		d, _ := compileSchema([]byte(`{"type":"string","pattern":` + quoteJSON(p) + `,"minLength":8}`))
		got, err := d.conform(nil)
		if err != nil {
			t.Errorf("pattern %s: %q: %v", p, got, err)
		}
	}
}

// promptVariables are answered, not ignored.
func TestPromptVariablesAnswered(t *testing.T) {
	m := newModel(t)
	req := decode(t, `{"promptVariables":{"topic":{"text":"cats"},"tone":{"text":"dry"}}}`)
	req.ModelID = "arn:aws:bedrock:us-east-1:123456789012:prompt/ABCDEFGHIJ:1"
	out, err := m.Converse(t.Context(), &provider.Call{ModelID: req.ModelID, Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if txt := wire.Val(out.Output.Message.Content[0].Text); !strings.Contains(txt, "topic = cats") || !strings.Contains(txt, "tone = dry") {
		t.Errorf("answer %q does not use the variables", txt)
	}
}
