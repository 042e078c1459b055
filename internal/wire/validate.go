package wire

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Validator checks decoded requests the way Bedrock Runtime does: first the
// API model's constraints (required members, lengths, ranges, enums,
// patterns, unions), reported together in Coral's wording, then the
// semantic rules of the service (validate_rules.go), first violation wins.
//
// A Validator is built once from the embedded API model and is immutable,
// so one value serves every request concurrently.
type Validator struct {
	converse, converseStream, countTokens *node

	conversationalModelID *node // ConverseRequest.modelId
	foundationModelID     *node // CountTokensRequest.modelId
	// Model IDs found valid, so the long ARN pattern runs once per ID
	// rather than once per request.
	conversationalIDs, foundationIDs validIDs

	applyGuardrail                        *node // guardrail.go
	guardrailIdentifier, guardrailVersion *node // ApplyGuardrail's path members

	patterns map[string]*matcher // every pattern of the plan, for tests
}

// NewValidator compiles the embedded API model into a validation plan.
func NewValidator() (*Validator, error) {
	m, err := parseModel()
	if err != nil {
		return nil, err
	}
	p := &planner{m: m, memo: map[string]*node{}, patterns: map[string]*matcher{}}
	v := &Validator{patterns: p.patterns}
	req := reflect.TypeFor[ConverseRequest]()
	if v.converse, err = p.compile("ConverseRequest", req); err != nil {
		return nil, fmt.Errorf("compile Converse plan: %w", err)
	}
	if v.converseStream, err = p.compile("ConverseStreamRequest", req); err != nil {
		return nil, fmt.Errorf("compile ConverseStream plan: %w", err)
	}
	if v.countTokens, err = p.compile("CountTokensRequest", reflect.TypeFor[CountTokensRequest]()); err != nil {
		return nil, fmt.Errorf("compile CountTokens plan: %w", err)
	}
	str := reflect.TypeFor[string]()
	if v.conversationalModelID, err = p.compile(m.Shapes["ConverseRequest"].Members["modelId"].Shape, str); err != nil {
		return nil, err
	}
	if v.foundationModelID, err = p.compile(m.Shapes["CountTokensRequest"].Members["modelId"].Shape, str); err != nil {
		return nil, err
	}
	if err := v.compileApplyGuardrail(p); err != nil {
		return nil, fmt.Errorf("compile ApplyGuardrail plan: %w", err)
	}
	return v, nil
}

// Converse validates a Converse (stream false) or ConverseStream (stream
// true) request, including its path member modelId. The error is a
// *Exception of type ValidationException.
func (v *Validator) Converse(req *ConverseRequest, stream bool) error {
	c := &collector{}
	c.path = c.buf[:0]
	v.conversationalIDs.check(c, v.conversationalModelID, req.ModelID)
	root := v.converse
	if stream {
		root = v.converseStream
	}
	c.walk(root, reflect.ValueOf(req).Elem(), false)
	if err := c.err(); err != nil {
		return err
	}
	return converseRules(req, stream)
}

// CountTokens validates a CountTokens request, including its path member
// modelId (FoundationModelVersionIdentifier: stricter than Converse's).
func (v *Validator) CountTokens(req *CountTokensRequest) error {
	c := &collector{}
	c.path = c.buf[:0]
	v.foundationIDs.check(c, v.foundationModelID, req.ModelID)
	c.walk(v.countTokens, reflect.ValueOf(req).Elem(), false)
	if err := c.err(); err != nil {
		return err
	}
	return countTokensRules(req)
}

// maxReported bounds the message; Coral lists every violation, but a
// hostile body could hold millions.
const maxReported = 20

// collector gathers Coral-style violations:
//
//	Value 'x' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant, system]
//
// Paths are Coral's: list elements are 1-based and followed by ".member"
// (Value 'system' at 'messages.1.member.role' for the first message in
// continuedev/continue#1938; the same request reads messages.1.member.content.2
// in Coral's message and messages.0.content.1 in the model's, per
// NousResearch/hermes-agent#55429).
//
// The path of the member being checked is kept as segments and spelled out
// only for a violation: a valid request costs no path strings.
type collector struct {
	msgs  []string
	total int
	path  []pathSeg
	// buf holds the path of ordinary nesting without an allocation.
	buf [12]pathSeg
}

// pathSeg is one step of a member's path: a member name, a list element
// (its 1-based index, then ".member") or a map key (then ".member").
type pathSeg struct {
	name  string // member name or map key
	index int    // list element when > 0
	key   bool   // name is a map key
}

func (c *collector) push(s pathSeg) { c.path = append(c.path, s) }
func (c *collector) pop()           { c.path = c.path[:len(c.path)-1] }

// where spells out the current path in Coral's form.
func (c *collector) where() string {
	var b strings.Builder
	for _, s := range c.path {
		switch {
		case s.index > 0:
			b.WriteString(".")
			b.WriteString(strconv.Itoa(s.index))
			b.WriteString(".member")
		case s.key:
			b.WriteString(".")
			b.WriteString(s.name)
			b.WriteString(".member")
		default:
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// maxValidIDs bounds the remembered model IDs: a client sending ever new
// IDs cannot grow it, and past the bound IDs are simply matched each time.
const maxValidIDs = 1024

// validIDs remembers model IDs that passed their constraints.
type validIDs struct {
	ids sync.Map // string → struct{}
	n   atomic.Int32
}

// check adds id's violations to c, skipping the check for an ID seen valid.
func (v *validIDs) check(c *collector, n *node, id string) {
	if _, ok := v.ids.Load(id); ok {
		return
	}
	before := c.total
	c.modelID(n, id)
	if c.total == before && v.n.Load() < maxValidIDs {
		if _, loaded := v.ids.LoadOrStore(id, struct{}{}); !loaded {
			v.n.Add(1)
		}
	}
}

func (c *collector) add(value string, showValue bool, path, constraint string) {
	c.total++
	if len(c.msgs) >= maxReported {
		return
	}
	v := "Value"
	switch {
	case value == nullValue:
		v = "Value null"
	case showValue:
		v = "Value '" + value + "'"
	}
	c.msgs = append(c.msgs, fmt.Sprintf("%s at '%s' failed to satisfy constraint: %s", v, path, constraint))
}

func (c *collector) err() error {
	if len(c.msgs) == 0 {
		return nil
	}
	noun := "errors"
	if c.total == 1 {
		noun = "error"
	}
	return Errorf(ValidationException, "%d validation %s detected: %s", c.total, noun, strings.Join(c.msgs, "; "))
}

func (c *collector) modelID(n *node, id string) {
	for _, con := range stringConstraints(n, id) {
		c.add(shorten(id), true, "modelId", con)
	}
}

const nullValue = "\x00null"

// walk checks v (of node n) at the collector's path; sens says a
// containing shape is sensitive, so values are not echoed (Coral prints
// "Value at" for them).
func (c *collector) walk(n *node, v reflect.Value, sens bool) {
	sens = sens || n.sensitive
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch n.kind {
	case kindStruct, kindUnion:
		set := 0
		for _, f := range n.fields {
			fv := v.Field(f.index)
			present := isPresent(fv)
			if !present && n.kind == kindUnion && f.node.kind == kindDocument && !fv.IsNil() {
				// A union member sent as JSON null is still the member the
				// client chose: the service answers with the semantic "Provide
				// a json object" message, not Coral's union message
				// (aws/aws-sdk-js-v3 #7330: {"json": null} in toolResult.content).
				present = true
			}
			if present {
				set++
			}
			if !present {
				if f.required {
					c.push(pathSeg{name: f.name})
					fpath := c.where()
					c.pop()
					if fv.Kind() == reflect.String && f.node.min != nil && *f.node.min >= 1 {
						// "" and absent look alike here; Coral reports every
						// constraint "" breaks, pattern first (BerriAI/litellm
						// #24668: Value '' at 'toolConfig.tools.1.member.toolSpec.name'
						// … pattern: [a-zA-Z0-9_-]+; … length greater than or equal to 1).
						for _, con := range stringConstraints(f.node, "") {
							c.add("", !sens && !f.node.sensitive, fpath, con)
						}
					} else {
						c.add(nullValue, false, fpath, "Member must not be null")
					}
				}
				continue
			}
			c.push(pathSeg{name: f.name})
			c.walk(f.node, fv, sens)
			c.pop()
		}
		if n.kind == kindUnion && set != 1 {
			names := make([]string, len(n.fields))
			var found []string
			for i, f := range n.fields {
				names[i] = f.name
				if fv := v.Field(f.index); isPresent(fv) || f.node.kind == kindDocument && !fv.IsNil() {
					found = append(found, f.name)
				}
			}
			if set == 0 {
				c.add(nullValue, false, c.where(), "Member must have exactly one of the following members set: ["+strings.Join(names, ", ")+"]")
			} else {
				c.add("", false, c.where(), "Member must have exactly one of the following members set: ["+strings.Join(names, ", ")+"], found: ["+strings.Join(found, ", ")+"]")
			}
		}
	case kindList:
		l := v.Len()
		if n.min != nil && float64(l) < *n.min {
			c.add(listValue(v), !sens && l == 0, c.where(), "Member must have length greater than or equal to "+num(*n.min))
		}
		if n.max != nil && float64(l) > *n.max {
			c.add("", false, c.where(), "Member must have length less than or equal to "+num(*n.max))
		}
		for i := range l {
			c.push(pathSeg{index: i + 1})
			c.walk(n.elem, v.Index(i), sens)
			c.pop()
			if c.total > 10*maxReported {
				return // enough to explain the request; stop the work too
			}
		}
	case kindMap:
		l := v.Len()
		if n.min != nil && float64(l) < *n.min {
			c.add("{}", !sens, c.where(), "Member must have length greater than or equal to "+num(*n.min))
		}
		if n.max != nil && float64(l) > *n.max {
			c.add("", false, c.where(), "Member must have length less than or equal to "+num(*n.max))
		}
		var keyCons, valCons []string
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key().String()
			keyCons = appendNew(keyCons, stringConstraints(n.key, k)...)
			mv := iter.Value()
			if n.value.kind == kindString {
				valCons = appendNew(valCons, stringConstraints(n.value, mv.String())...)
			} else {
				c.push(pathSeg{name: k, key: true})
				c.walk(n.value, mv, sens)
				c.pop()
			}
		}
		if len(keyCons) > 0 {
			c.add("", false, c.where(), "Map keys must satisfy constraint: ["+strings.Join(keyCons, ", ")+"]")
		}
		if len(valCons) > 0 {
			c.add("", false, c.where(), "Map value must satisfy constraint: ["+strings.Join(valCons, ", ")+"]")
		}
	case kindString:
		s := v.String()
		for _, con := range stringConstraints(n, s) {
			c.add(shorten(s), !sens, c.where(), con)
		}
	case kindBlob:
		l := v.Len()
		if n.min != nil && float64(l) < *n.min {
			c.add("", false, c.where(), "Member must have length greater than or equal to "+num(*n.min))
		}
		if n.max != nil && float64(l) > *n.max {
			c.add("", false, c.where(), "Member must have length less than or equal to "+num(*n.max))
		}
	case kindInt, kindFloat:
		var f float64
		var shown string
		if n.kind == kindInt {
			f = float64(v.Int())
			shown = strconv.FormatInt(v.Int(), 10)
		} else {
			f = v.Float()
			shown = strconv.FormatFloat(f, 'f', -1, v.Type().Bits())
		}
		if n.min != nil && f < *n.min {
			c.add(shown, !sens, c.where(), "Member must have value greater than or equal to "+num(*n.min))
		}
		if n.max != nil && f > *n.max {
			c.add(shown, !sens, c.where(), "Member must have value less than or equal to "+num(*n.max))
		}
	}
}

// stringConstraints lists the constraint phrases s violates, in Coral's
// order: the pattern before the lengths (BerriAI/litellm #24668 and #19384
// show "pattern: [a-zA-Z0-9_-]+" before "length greater than or equal to 1"
// for the same member); the order of enum against length is not observed.
func stringConstraints(n *node, s string) []string {
	var out []string
	if n.pattern != nil && !n.pattern.match(s) {
		out = append(out, "Member must satisfy regular expression pattern: "+n.pattern.source)
	}
	l := float64(utf8.RuneCountInString(s)) // lengths are in characters
	if n.min != nil && l < *n.min {
		out = append(out, "Member must have length greater than or equal to "+num(*n.min))
	}
	if n.max != nil && l > *n.max {
		out = append(out, "Member must have length less than or equal to "+num(*n.max))
	}
	if n.enumSet != nil && !n.enumSet[s] {
		out = append(out, "Member must satisfy enum value set: ["+strings.Join(n.enum, ", ")+"]")
	}
	return out
}

// isPresent says whether a member was sent. Non-pointer strings cannot tell
// "absent" from "", so "" counts as absent (required strings with a minimum
// length then report the length, as Coral does for "").
func isPresent(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Map:
		return !v.IsNil()
	case reflect.Slice:
		if v.IsNil() {
			return false
		}
		if v.Type() == documentType { // JSON null document
			return !bytes.Equal(bytes.TrimSpace(v.Bytes()), []byte("null"))
		}
		return true
	case reflect.String:
		return v.Len() > 0
	}
	return true
}

var documentType = reflect.TypeFor[Document]()

func listValue(v reflect.Value) string {
	if v.Len() == 0 {
		return "[]"
	}
	return ""
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// shorten bounds an echoed value so a huge member cannot blow up the message.
func shorten(s string) string {
	const max = 1024
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, have := range list {
			if have == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}
