package wire

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
)

// apiModelJSON is botocore's copy of the Bedrock Runtime API model (Apache
// 2.0, see apimodel/NOTICE.md). It is parsed once, by NewValidator.
//
//go:embed apimodel/bedrock-runtime.service-2.json
var apiModelJSON []byte

// modelFile is the part of botocore's service-2.json format the plan reads.
type modelFile struct {
	Shapes map[string]modelShapeDef `json:"shapes"`
}

type modelShapeDef struct {
	Type      string              `json:"type"`
	Union     bool                `json:"union"`
	Document  bool                `json:"document"`
	Exception bool                `json:"exception"`
	Sensitive bool                `json:"sensitive"`
	Required  []string            `json:"required"`
	Members   map[string]modelRef `json:"members"`
	Member    *modelRef           `json:"member"`
	Key       *modelRef           `json:"key"`
	Value     *modelRef           `json:"value"`
	Min       *float64            `json:"min"`
	Max       *float64            `json:"max"`
	Pattern   string              `json:"pattern"`
	Enum      []string            `json:"enum"`
}

type modelRef struct {
	Shape    string `json:"shape"`
	Location string `json:"location"`
}

type nodeKind int

const (
	kindStruct nodeKind = iota
	kindUnion
	kindList
	kindMap
	kindString
	kindBlob
	kindInt
	kindFloat
	kindBool
	kindDocument
)

// node is the compiled form of one model shape bound to one Go type.
type node struct {
	shape     string
	kind      nodeKind
	sensitive bool

	fields []*field // structures and unions
	elem   *node    // lists
	key    *node    // maps
	value  *node    // maps

	min, max *float64 // length (strings, lists, maps, blobs) or value (numbers)
	enum     []string
	enumSet  map[string]bool
	pattern  *matcher
}

type field struct {
	index    int
	name     string // JSON member name
	required bool
	node     *node
}

// matcher is an anchored whole-string pattern check. RE2 compiles every
// pattern of the current model; a pattern it cannot compile would need an
// entry in handPatterns (tested by TestEveryPatternIsChecked).
type matcher struct {
	source string // the pattern as the model writes it (quoted in messages)
	re     *regexp.Regexp
	hand   func(string) bool
}

func (m *matcher) match(s string) bool {
	if m.hand != nil {
		return m.hand(s)
	}
	return m.re.MatchString(s)
}

// handPatterns are hand-written equivalents for model patterns Go's RE2
// cannot compile (back-references, look-arounds, possessive quantifiers).
// None of the patterns reachable today needs one; the table keeps the
// mechanism honest if botocore adds such a pattern.
var handPatterns = map[string]func(string) bool{}

// compilePattern anchors p as Coral does (whole-string match: a model ID
// containing a valid ID as a substring is still rejected, digest §9.2).
func compilePattern(p string) (*matcher, error) {
	if h, ok := handPatterns[p]; ok {
		return &matcher{source: p, hand: h}, nil
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q has no RE2 form and no hand-written equivalent: %w", p, err)
	}
	return &matcher{source: p, re: re}, nil
}

type planner struct {
	m        modelFile
	memo     map[string]*node // shape + "\x00" + Go type
	patterns map[string]*matcher
}

func parseModel() (modelFile, error) {
	var m modelFile
	if err := json.Unmarshal(apiModelJSON, &m); err != nil {
		return m, fmt.Errorf("parse embedded API model: %w", err)
	}
	return m, nil
}

func (p *planner) compile(shape string, t reflect.Type) (*node, error) {
	memoKey := shape + "\x00" + t.String()
	if n, ok := p.memo[memoKey]; ok {
		return n, nil
	}
	s, ok := p.m.Shapes[shape]
	if !ok {
		return nil, fmt.Errorf("shape %s not in the model", shape)
	}
	n := &node{shape: shape, sensitive: s.Sensitive, min: s.Min, max: s.Max}
	p.memo[memoKey] = n
	if s.Pattern != "" {
		mt, ok := p.patterns[s.Pattern]
		if !ok {
			var err error
			if mt, err = compilePattern(s.Pattern); err != nil {
				return nil, fmt.Errorf("shape %s: %w", shape, err)
			}
			p.patterns[s.Pattern] = mt
		}
		n.pattern = mt
	}
	if len(s.Enum) > 0 {
		n.enum = s.Enum
		n.enumSet = make(map[string]bool, len(s.Enum))
		for _, v := range s.Enum {
			n.enumSet[v] = true
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case s.Type == "structure" && s.Document:
		n.kind = kindDocument
		return n, nil
	case s.Type == "structure":
		if s.Exception {
			return nil, fmt.Errorf("shape %s: exceptions are not validated", shape)
		}
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("shape %s: Go type %s is not a struct", shape, t)
		}
		// Go type name = shape name; ConverseStreamRequest is an alias of
		// ConverseRequest, GuardrailConfiguration travels as its stream form.
		if t.Name() != shape && !aliasOK(shape, t.Name()) {
			return nil, fmt.Errorf("shape %s bound to Go type %s", shape, t.Name())
		}
		n.kind = kindStruct
		if s.Union {
			n.kind = kindUnion
		}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		byJSON := map[string]int{}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			byJSON[name] = i
		}
		for _, name := range sortedKeys(s.Members) {
			ref := s.Members[name]
			if ref.Location != "" { // path members (modelId) are checked separately
				continue
			}
			idx, ok := byJSON[name]
			if !ok {
				return nil, fmt.Errorf("shape %s: member %s has no Go field", shape, name)
			}
			child, err := p.compile(ref.Shape, t.Field(idx).Type)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, &field{index: idx, name: name, required: required[name], node: child})
		}
		// Report in the Go declaration order, which follows the model's.
		for i := 1; i < len(n.fields); i++ {
			for j := i; j > 0 && n.fields[j].index < n.fields[j-1].index; j-- {
				n.fields[j], n.fields[j-1] = n.fields[j-1], n.fields[j]
			}
		}
	case s.Type == "list":
		if t.Kind() != reflect.Slice {
			return nil, fmt.Errorf("shape %s: Go type %s is not a slice", shape, t)
		}
		n.kind = kindList
		elem, err := p.compile(s.Member.Shape, t.Elem())
		if err != nil {
			return nil, err
		}
		n.elem = elem
	case s.Type == "map":
		if t.Kind() != reflect.Map {
			return nil, fmt.Errorf("shape %s: Go type %s is not a map", shape, t)
		}
		n.kind = kindMap
		k, err := p.compile(s.Key.Shape, t.Key())
		if err != nil {
			return nil, err
		}
		v, err := p.compile(s.Value.Shape, t.Elem())
		if err != nil {
			return nil, err
		}
		n.key, n.value = k, v
	case s.Type == "string":
		if t.Kind() != reflect.String {
			return nil, fmt.Errorf("shape %s: Go type %s is not a string", shape, t)
		}
		n.kind = kindString
	case s.Type == "blob":
		if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
			return nil, fmt.Errorf("shape %s: Go type %s is not []byte", shape, t)
		}
		n.kind = kindBlob
	case s.Type == "integer" || s.Type == "long":
		n.kind = kindInt
	case s.Type == "float" || s.Type == "double":
		n.kind = kindFloat
	case s.Type == "boolean":
		n.kind = kindBool
	default:
		return nil, fmt.Errorf("shape %s: type %s not handled", shape, s.Type)
	}
	return n, nil
}

func aliasOK(shape, goName string) bool {
	switch shape {
	case "ConverseStreamRequest":
		return goName == "ConverseRequest"
	case "GuardrailConfiguration":
		return goName == "GuardrailStreamConfiguration"
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort: member maps are small and this runs once.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
