package wire

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiModel is the part of botocore's service-2.json format the checks read.
type apiModel struct {
	Operations map[string]struct {
		Input  struct{ Shape string }   `json:"input"`
		Output struct{ Shape string }   `json:"output"`
		Errors []struct{ Shape string } `json:"errors"`
	} `json:"operations"`
	Shapes map[string]modelShape `json:"shapes"`
}

type modelShape struct {
	Type        string   `json:"type"`
	Union       bool     `json:"union"`
	Document    bool     `json:"document"`
	Exception   bool     `json:"exception"`
	EventStream bool     `json:"eventstream"`
	Enum        []string `json:"enum"`
	Members     map[string]struct {
		Shape    string `json:"shape"`
		Location string `json:"location"`
	} `json:"members"`
	Member *struct{ Shape string } `json:"member"`
	Key    *struct{ Shape string } `json:"key"`
	Value  *struct{ Shape string } `json:"value"`
	Error  *struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
}

func loadModel(t *testing.T) apiModel {
	t.Helper()
	b, err := os.ReadFile("testdata/bedrock-runtime.service-2.json")
	if err != nil {
		t.Fatal(err)
	}
	var m apiModel
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// reachable lists every shape reachable from the three operations we serve.
func reachable(m apiModel) []string {
	seen := map[string]bool{}
	var order []string
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		order = append(order, n)
		s := m.Shapes[n]
		for _, ref := range []*struct{ Shape string }{s.Member, s.Key, s.Value} {
			if ref != nil {
				walk(ref.Shape)
			}
		}
		for _, mem := range s.Members {
			walk(mem.Shape)
		}
	}
	for _, op := range []string{"Converse", "ConverseStream", "CountTokens", "ApplyGuardrail"} {
		o := m.Operations[op]
		walk(o.Input.Shape)
		walk(o.Output.Shape)
		for _, e := range o.Errors {
			walk(e.Shape)
		}
	}
	return order
}

// jsonMembers returns the JSON member names a Go struct carries.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
			name = strings.Replace(name, "ID", "Id", 1)
		}
		out = append(out, name)
	}
	return out
}

func TestTypesCoverAPIModel(t *testing.T) {
	m := loadModel(t)
	shapes := reachable(m)
	if len(shapes) < 100 {
		t.Fatalf("only %d shapes reachable: is the model file complete?", len(shapes))
	}
	for _, name := range shapes {
		s := m.Shapes[name]
		switch {
		case s.Exception:
			if _, ok := exceptionStatus[name]; !ok {
				t.Errorf("exception %s has no entry in exceptionStatus", name)
			}
			for mem := range s.Members {
				if !slices.Contains(jsonMembers(reflect.TypeFor[Exception]()), mem) {
					t.Errorf("exception %s: member %q missing from Exception", name, mem)
				}
			}
		case s.Type == "structure" && !s.Document:
			typ, ok := shapeTypes[name]
			if !ok {
				t.Errorf("shape %s has no Go type", name)
				continue
			}
			have := jsonMembers(typ)
			for mem := range s.Members {
				if !slices.Contains(have, mem) {
					t.Errorf("%s: member %q missing", name, mem)
				}
			}
			for _, mem := range have {
				if _, ok := s.Members[mem]; !ok {
					t.Errorf("%s: Go type has member %q that the model does not", name, mem)
				}
			}
		case len(s.Enum) > 0:
			got, ok := enumValues[name]
			if !ok {
				t.Errorf("enum %s has no Go type", name)
				continue
			}
			if diff := cmp.Diff(s.Enum, got); diff != "" {
				t.Errorf("enum %s values (-model +ours):\n%s", name, diff)
			}
		}
	}
}

func TestExceptionStatusesMatchModel(t *testing.T) {
	m := loadModel(t)
	for name, s := range m.Shapes {
		if !s.Exception || s.Error == nil {
			continue
		}
		ex := &Exception{Type: name}
		if got := ex.HTTPStatus(); got != s.Error.HTTPStatusCode {
			t.Errorf("%s: status %d, model says %d", name, got, s.Error.HTTPStatusCode)
		}
	}
}

func TestStreamExceptionMembersMatchModel(t *testing.T) {
	m := loadModel(t)
	out := m.Shapes["ConverseStreamOutput"]
	for member, ref := range out.Members {
		if !m.Shapes[ref.Shape].Exception {
			continue
		}
		if got, _ := (&Exception{Type: ref.Shape}).StreamMember(); got != member {
			t.Errorf("%s travels as %q in a stream, model says %q", ref.Shape, got, member)
		}
	}
}
