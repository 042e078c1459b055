package builtin

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/conversekit/converse/internal/wire"
)

// This file makes the built-in model's JSON (tool inputs, structured
// output) valid against the caller's JSON Schema. Which values to say is
// decided elsewhere (tools.go, answer.go: from the question); here a
// candidate is checked with github.com/google/jsonschema-go and, where it
// fails, repaired keyword by keyword — $ref, allOf/anyOf/oneOf, enum,
// const, types, required, additionalProperties, min/maxProperties,
// min/maxItems, uniqueItems, contains, min/maxLength, pattern, format,
// numeric bounds and multipleOf — keeping every part of the candidate that
// already fits.

// maxRepairDepth bounds recursion through nested and self-referencing
// schemas.
const maxRepairDepth = 24

// schemaDoc is one compiled schema: its raw form for walking, its
// definitions for $ref, and jsonschema-go's resolved form for checking.
type schemaDoc struct {
	root     map[string]any
	resolved *jsonschema.Resolved // nil: the library cannot read the schema
}

func compileSchema(raw []byte) (*schemaDoc, error) {
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("schema is not a JSON object: %w", err)
	}
	d := &schemaDoc{root: root}
	var s jsonschema.Schema
	if err := json.Unmarshal(raw, &s); err != nil {
		return d, fmt.Errorf("read schema: %w", err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return d, fmt.Errorf("resolve schema: %w", err)
	}
	d.resolved = rs
	return d, nil
}

// normalize turns a Go value into what encoding/json would decode it to.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(b, &out) // just marshalled
	return out
}

// validate reports why v is not valid against the whole schema (nil when
// it is): jsonschema-go's verdict plus the formats it leaves unchecked.
func (d *schemaDoc) validate(v any) error {
	if d.resolved != nil {
		if err := d.resolved.Validate(v); err != nil {
			return err
		}
	}
	return d.checkFormats(d.root, v, 0)
}

// fits reports whether v is valid against the sub-schema node, which may
// refer to the root's definitions.
func (d *schemaDoc) fits(node map[string]any, v any) bool {
	sub := map[string]any{}
	for k, val := range node {
		sub[k] = val
	}
	for _, k := range []string{"$defs", "definitions", "$schema"} {
		if val, ok := d.root[k]; ok {
			sub[k] = val
		}
	}
	raw, err := json.Marshal(sub)
	if err != nil {
		return false
	}
	var s jsonschema.Schema
	if json.Unmarshal(raw, &s) != nil {
		return true // unreadable: cannot judge, do not discard the value
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return true
	}
	return rs.Validate(v) == nil && d.checkFormats(node, v, 0) == nil
}

// conform returns candidate when it is valid, else a repaired value, else
// a value generated from the schema alone. The error says why none is
// valid (schemas jsonschema-go cannot read, contradictory schemas).
func (d *schemaDoc) conform(candidate any) (any, error) {
	candidate = normalize(candidate)
	if d.validate(candidate) == nil {
		return candidate, nil
	}
	repaired := normalize(d.repair(d.root, candidate, 0))
	if d.validate(repaired) == nil {
		return repaired, nil
	}
	fresh := normalize(d.repair(d.root, nil, 0))
	err := d.validate(fresh)
	if err == nil {
		return fresh, nil
	}
	return repaired, err
}

// conformInput makes a tool input valid against the tool's schema; a
// schema that cannot be read leaves the input as it is.
func conformInput(schema []byte, input any) any {
	if len(schema) == 0 {
		return input
	}
	d, err := compileSchema(schema)
	if d == nil || err != nil && d.resolved == nil && d.root == nil {
		return input
	}
	out, _ := d.conform(input) // best effort when no value is valid
	return out
}

// deref follows $ref chains to local definitions and merges allOf, so the
// node returned holds the keywords that apply directly.
func (d *schemaDoc) deref(node map[string]any, depth int) map[string]any {
	for depth < maxRepairDepth {
		ref, ok := node["$ref"].(string)
		if !ok {
			break
		}
		target := d.pointer(ref)
		if target == nil {
			break
		}
		merged := map[string]any{}
		for k, v := range target {
			merged[k] = v
		}
		for k, v := range node { // siblings of $ref (2020-12) apply too
			if k != "$ref" {
				merged[k] = v
			}
		}
		node = merged
		depth++
	}
	if all, ok := node["allOf"].([]any); ok {
		merged := map[string]any{}
		for k, v := range node {
			if k != "allOf" {
				merged[k] = v
			}
		}
		for _, a := range all {
			if am, ok := a.(map[string]any); ok {
				merged = mergeSchema(merged, d.deref(am, depth+1))
			}
		}
		node = merged
	}
	return node
}

// pointer resolves a local reference ("#", "#/$defs/X", "#/definitions/X").
func (d *schemaDoc) pointer(ref string) map[string]any {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil
	}
	var cur any = d.root
	for _, part := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		if part == "" {
			continue
		}
		part, _ = url.PathUnescape(part)
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

// mergeSchema combines two schemas that must both hold: properties are
// merged (a property in both must satisfy both), required lists joined,
// other keywords of b added where a has none.
func mergeSchema(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		switch k {
		case "properties":
			pa, _ := out[k].(map[string]any)
			pb, _ := v.(map[string]any)
			props := map[string]any{}
			for pk, pv := range pa {
				props[pk] = pv
			}
			for pk, pv := range pb {
				if prev, ok := props[pk]; ok {
					props[pk] = map[string]any{"allOf": []any{prev, pv}}
				} else {
					props[pk] = pv
				}
			}
			out[k] = props
		case "required":
			ra, _ := out[k].([]any)
			rb, _ := v.([]any)
			out[k] = append(slices.Clone(ra), rb...)
		default:
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out
}

// repair returns a value for node, keeping what of v already fits.
func (d *schemaDoc) repair(node map[string]any, v any, depth int) any {
	if node == nil || depth > maxRepairDepth {
		if v != nil {
			return v
		}
		return map[string]any{}
	}
	node = d.deref(node, depth)
	if c, ok := node["const"]; ok {
		return c
	}
	if enum, ok := node["enum"].([]any); ok && len(enum) > 0 {
		for _, e := range enum {
			if sameJSON(e, v) {
				return v
			}
		}
		for _, e := range enum {
			if d.fits(node, e) {
				return e
			}
		}
		return enum[0]
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		alts, ok := node[key].([]any)
		if !ok || len(alts) == 0 {
			continue
		}
		if v != nil && d.fits(node, v) {
			return v
		}
		rest := map[string]any{}
		for k, val := range node {
			if k != key {
				rest[k] = val
			}
		}
		// Prefer the alternative whose type the candidate already has, then
		// the others in order; null alternatives last.
		order := make([]map[string]any, 0, len(alts))
		var nulls []map[string]any
		for _, a := range alts {
			am, ok := a.(map[string]any)
			if !ok {
				continue
			}
			am = d.deref(am, depth+1)
			if typeNames(am) != nil && slices.Equal(typeNames(am), []string{"null"}) {
				nulls = append(nulls, am)
				continue
			}
			if v != nil && slices.Contains(typeNames(am), jsonType(v)) {
				order = append([]map[string]any{am}, order...)
			} else {
				order = append(order, am)
			}
		}
		order = append(order, nulls...)
		var first any
		for i, am := range order {
			r := d.repair(mergeSchema(rest, am), v, depth+1)
			if i == 0 {
				first = r
			}
			if d.fits(node, normalize(r)) {
				return r
			}
		}
		if first != nil {
			return first
		}
	}
	switch schemaTypeOf(node, v) {
	case "object":
		return d.repairObject(node, v, depth)
	case "array":
		return d.repairArray(node, v, depth)
	case "string":
		s, _ := v.(string)
		return repairString(node, s)
	case "integer":
		return repairNumber(node, v, true)
	case "number":
		return repairNumber(node, v, false)
	case "boolean":
		b, _ := v.(bool)
		return b
	case "null":
		return nil
	}
	if v != nil {
		return v
	}
	return map[string]any{}
}

// typeNames lists a node's "type" keyword as strings (nil when absent).
func typeNames(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// jsonType names the JSON Schema type of a decoded value.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	}
	return ""
}

// schemaTypeOf picks the type to produce: the candidate's own when the
// schema allows it (an integer is a number), else the first non-null type
// allowed, else one implied by the keywords present.
func schemaTypeOf(node map[string]any, v any) string {
	types := typeNames(node)
	have := jsonType(v)
	if len(types) > 0 {
		for _, t := range types {
			if t == have || (t == "number" && have == "integer") {
				return t
			}
		}
		for _, t := range types {
			if t != "null" {
				return t
			}
		}
		return "null"
	}
	for _, k := range []string{"properties", "required", "additionalProperties", "minProperties", "maxProperties", "patternProperties"} {
		if _, ok := node[k]; ok {
			return "object"
		}
	}
	for _, k := range []string{"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"} {
		if _, ok := node[k]; ok {
			return "array"
		}
	}
	for _, k := range []string{"pattern", "minLength", "maxLength", "format"} {
		if _, ok := node[k]; ok {
			return "string"
		}
	}
	for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"} {
		if _, ok := node[k]; ok {
			return "number"
		}
	}
	if have != "" && have != "null" {
		if have == "integer" {
			return "number"
		}
		return have
	}
	return ""
}

func (d *schemaDoc) repairObject(node map[string]any, v any, depth int) any {
	in, _ := v.(map[string]any)
	props, _ := node["properties"].(map[string]any)
	required := stringList(node["required"])
	out := map[string]any{}
	closed := node["additionalProperties"] == false
	extra, _ := node["additionalProperties"].(map[string]any)
	for k, val := range in {
		switch sub, ok := props[k].(map[string]any); {
		case ok:
			out[k] = d.repair(sub, val, depth+1)
		case props[k] == true:
			out[k] = val
		case closed || props[k] == false:
			// not allowed: dropped
		case extra != nil:
			out[k] = d.repair(extra, val, depth+1)
		default:
			out[k] = val
		}
	}
	add := func(k string) {
		if _, ok := out[k]; ok {
			return
		}
		sub, _ := props[k].(map[string]any)
		if sub == nil && extra != nil {
			sub = extra
		}
		if def, ok := d.deref(orEmpty(sub), depth+1)["default"]; ok && d.fits(orEmpty(sub), def) {
			out[k] = def
			return
		}
		out[k] = d.repair(sub, nil, depth+1)
	}
	for _, k := range required {
		add(k)
	}
	// dependentRequired: a present property brings others along.
	if dep, ok := node["dependentRequired"].(map[string]any); ok {
		for k, list := range dep {
			if _, present := out[k]; present {
				for _, r := range stringList(list) {
					add(r)
				}
			}
		}
	}
	if minP, ok := number(node["minProperties"]); ok {
		names := sortedKeys(props)
		for i := 0; len(out) < int(minP) && i < len(names); i++ {
			add(names[i])
		}
		for i := 0; len(out) < int(minP) && !closed; i++ {
			out[fmt.Sprintf("property%d", i+1)] = "value"
		}
	}
	if maxP, ok := number(node["maxProperties"]); ok && len(out) > int(maxP) {
		for _, k := range sortedKeys(out) {
			if len(out) <= int(maxP) {
				break
			}
			if !slices.Contains(required, k) {
				delete(out, k)
			}
		}
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (d *schemaDoc) repairArray(node map[string]any, v any, depth int) any {
	in, _ := v.([]any)
	prefix, _ := node["prefixItems"].([]any)
	items, _ := node["items"].(map[string]any)
	if list, ok := node["items"].([]any); ok && prefix == nil { // draft-07 tuple form
		prefix = list
		items, _ = node["additionalItems"].(map[string]any)
	}
	itemSchema := func(i int) map[string]any {
		if i < len(prefix) {
			m, _ := prefix[i].(map[string]any)
			return m
		}
		return items
	}
	out := make([]any, 0, len(in))
	for i, val := range in {
		out = append(out, d.repair(itemSchema(i), val, depth+1))
	}
	unique := node["uniqueItems"] == true
	if unique {
		out = dedupe(out)
	}
	minI, _ := number(node["minItems"])
	minI = max(minI, float64(len(prefix)))
	for i := 0; float64(len(out)) < minI && i < 64; i++ {
		item := d.repair(itemSchema(len(out)), nil, depth+1)
		if unique {
			item = d.variant(itemSchema(len(out)), item, len(out), out, depth)
		}
		out = append(out, item)
	}
	if c, ok := node["contains"].(map[string]any); ok {
		found := false
		for _, val := range out {
			if d.fits(c, normalize(val)) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, d.repair(c, nil, depth+1))
		}
	}
	if maxI, ok := number(node["maxItems"]); ok && float64(len(out)) > maxI {
		out = out[:int(maxI)]
	}
	return out
}

// variant makes an array item distinct from those already in list (for
// uniqueItems), trying values the item's schema allows.
func (d *schemaDoc) variant(node map[string]any, item any, n int, list []any, depth int) any {
	taken := func(x any) bool {
		return slices.ContainsFunc(list, func(y any) bool { return sameJSON(normalize(x), normalize(y)) })
	}
	if !taken(item) {
		return item
	}
	node = d.deref(orEmpty(node), depth)
	if enum, ok := node["enum"].([]any); ok {
		for _, e := range enum {
			if !taken(e) {
				return e
			}
		}
	}
	switch x := item.(type) {
	case string:
		for i := n + 1; i < n+50; i++ {
			if c := repairString(node, fmt.Sprintf("%s%d", x, i)); !taken(c) {
				return c
			}
		}
	case float64, int64:
		f, _ := number(x)
		for i := 1; i < 50; i++ {
			if c := repairNumber(node, f+float64(i), jsonType(item) == "integer"); !taken(c) {
				return c
			}
		}
	case bool:
		return !x
	}
	return item
}

func dedupe(list []any) []any {
	var out []any
	for _, v := range list {
		if !slices.ContainsFunc(out, func(w any) bool { return sameJSON(normalize(v), normalize(w)) }) {
			out = append(out, v)
		}
	}
	return out
}

func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// repairNumber keeps v when it is a number within every bound, else moves
// it inside them (or starts from the lower bound, or 1).
func repairNumber(node map[string]any, v any, integer bool) any {
	f, ok := number(v)
	if !ok {
		f = 1
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if m, ok := number(node["minimum"]); ok {
		lo = m
	}
	if m, ok := number(node["maximum"]); ok {
		hi = m
	}
	step := 1.0
	if !integer {
		step = 0.5
	}
	if m, ok := number(node["exclusiveMinimum"]); ok {
		lo = math.Max(lo, m+step)
	}
	if m, ok := number(node["exclusiveMaximum"]); ok {
		hi = math.Min(hi, m-step)
	}
	if integer {
		f = math.Round(f)
		lo, hi = math.Ceil(lo), math.Floor(hi)
	}
	f = math.Min(math.Max(f, lo), hi)
	if m, ok := number(node["multipleOf"]); ok && m > 0 {
		q := math.Ceil(f/m) * m
		if q > hi {
			q = math.Floor(f/m) * m
		}
		f = q
	}
	if integer {
		return int64(f)
	}
	return f
}

// formatExamples are values valid for each format the repair knows.
var formatExamples = map[string]string{
	"date-time":     "2025-01-01T00:00:00Z",
	"date":          "2025-01-01",
	"time":          "12:00:00Z",
	"email":         "user@example.com",
	"idn-email":     "user@example.com",
	"uri":           "https://example.com",
	"iri":           "https://example.com",
	"uri-reference": "https://example.com",
	"url":           "https://example.com",
	"uuid":          "123e4567-e89b-12d3-a456-426614174000",
	"ipv4":          "192.0.2.1",
	"ipv6":          "2001:db8::1",
	"hostname":      "example.com",
	"duration":      "P1D",
}

// formatOK reports whether s is valid for a format converse checks;
// formats it does not know are annotations and accept anything.
func formatOK(format, s string) bool {
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	case "time":
		_, err := time.Parse("15:04:05Z07:00", s)
		return err == nil
	case "email", "idn-email":
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	case "uri", "iri", "url":
		u, err := url.Parse(s)
		return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\n")
	case "uuid":
		return uuidPattern.MatchString(s)
	case "ipv4":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4()
	case "ipv6":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6()
	case "hostname":
		return hostnamePattern.MatchString(s)
	}
	return true
}

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// checkFormats walks v with the schema and reports the first string whose
// format keyword it breaks (jsonschema-go treats format as an annotation).
func (d *schemaDoc) checkFormats(node map[string]any, v any, depth int) error {
	if node == nil || depth > maxRepairDepth {
		return nil
	}
	node = d.deref(node, depth)
	switch x := v.(type) {
	case string:
		if f, ok := node["format"].(string); ok && !formatOK(f, x) {
			return fmt.Errorf("%q is not a valid %s", x, f)
		}
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		for k, val := range x {
			if sub, ok := props[k].(map[string]any); ok {
				if err := d.checkFormats(sub, val, depth+1); err != nil {
					return err
				}
			}
		}
	case []any:
		items, _ := node["items"].(map[string]any)
		for _, val := range x {
			if err := d.checkFormats(items, val, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// repairString keeps s when it satisfies format, pattern and length;
// otherwise it adjusts s's length, or builds a string from the pattern or
// format, or a plain word of the right length.
func repairString(node map[string]any, s string) string {
	minL, hasMin := number(node["minLength"])
	maxL, hasMax := number(node["maxLength"])
	format, _ := node["format"].(string)
	var re *regexp.Regexp
	if p, ok := node["pattern"].(string); ok {
		re, _ = regexp.Compile(p) // RE2 cannot read every ECMA pattern
	}
	ok := func(c string) bool {
		n := float64(utf8.RuneCountInString(c))
		return (!hasMin || n >= minL) && (!hasMax || n <= maxL) &&
			(re == nil || re.MatchString(c)) && (format == "" || formatOK(format, c))
	}
	if ok(s) {
		return s
	}
	var tries []string
	if s != "" {
		tries = append(tries, fitLength(s, minL, hasMin, maxL, hasMax))
	}
	if re != nil {
		for extra := 0; extra <= 64; extra++ {
			tries = append(tries, fromPattern(re, extra))
		}
	}
	if ex, known := formatExamples[format]; known {
		tries = append(tries, ex)
	}
	tries = append(tries, fitLength("value", minL, hasMin, maxL, hasMax))
	for _, c := range tries {
		if ok(c) {
			return c
		}
	}
	// A pattern may only match inside a longer string: pad around it.
	if re != nil {
		base := fromPattern(re, 0)
		for pad := 0; pad <= 64; pad++ {
			if c := base + strings.Repeat("a", pad); ok(c) {
				return c
			}
		}
	}
	return tries[len(tries)-1]
}

func fitLength(s string, minL float64, hasMin bool, maxL float64, hasMax bool) string {
	r := []rune(s)
	if hasMax && float64(len(r)) > maxL {
		r = r[:int(maxL)]
	}
	for hasMin && float64(len(r)) < minL {
		r = append(r, 'x')
	}
	return string(r)
}

// fromPattern builds a string the pattern matches: the shortest choice at
// every operator, with extra more repetitions of the first unbounded
// repeat (so a minLength can be met).
func fromPattern(re *regexp.Regexp, extra int) string {
	prog, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	var sb strings.Builder
	budget := extra
	genRegexp(prog.Simplify(), &sb, &budget)
	return sb.String()
}

func genRegexp(re *syntax.Regexp, sb *strings.Builder, extra *int) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			sb.WriteRune(r)
		}
	case syntax.OpCharClass:
		sb.WriteRune(classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		sb.WriteRune('a')
	case syntax.OpCapture:
		genRegexp(re.Sub[0], sb, extra)
	case syntax.OpConcat:
		for _, s := range re.Sub {
			genRegexp(s, sb, extra)
		}
	case syntax.OpAlternate:
		genRegexp(re.Sub[0], sb, extra)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		n := 0
		unbounded := false
		switch re.Op {
		case syntax.OpPlus:
			n, unbounded = 1, true
		case syntax.OpStar:
			unbounded = true
		case syntax.OpRepeat:
			n = re.Min
			unbounded = re.Max < 0
			if re.Max > re.Min && *extra > 0 {
				more := min(*extra, re.Max-re.Min)
				n += more
				*extra -= more
			}
		}
		if unbounded && *extra > 0 {
			n += *extra
			*extra = 0
		}
		for range n {
			genRegexp(re.Sub[0], sb, extra)
		}
	}
	// Anchors, word boundaries and empty matches produce nothing.
}

// classRune picks a character of a class, preferring a letter or digit.
func classRune(ranges []rune) rune {
	for _, want := range [][2]rune{{'a', 'z'}, {'A', 'Z'}, {'0', '9'}} {
		for i := 0; i+1 < len(ranges); i += 2 {
			lo, hi := max(ranges[i], want[0]), min(ranges[i+1], want[1])
			if lo <= hi {
				return lo
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i+1] > ' ' { // a printable one where the range allows
			return max(ranges[i], '!')
		}
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'a'
}

// inputSchemaJSON is a tool's input schema as raw JSON (nil when none).
func inputSchemaJSON(s *wire.ToolSpecification) []byte {
	if s.InputSchema == nil {
		return nil
	}
	return s.InputSchema.JSON
}
