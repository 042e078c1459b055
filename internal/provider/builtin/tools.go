package builtin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// toolCalls decides which tools the built-in model calls for a request: none
// when no tools are offered or the last user turn carries tool results;
// otherwise the tool toolChoice names, or for "any" the best match, or for
// "auto" every tool whose name or description shares words with the user's
// text. Inputs are filled from each tool's JSON schema.
func toolCalls(req *wire.ConverseRequest) []wire.ToolUseBlock {
	specs := toolSpecs(req.ToolConfig)
	if len(specs) == 0 || lastUserHasToolResults(req.Messages) {
		return nil
	}
	question := questionOf(req.Messages)
	words := wordsOf(question)
	var chosen []*wire.ToolSpecification
	var choice *wire.ToolChoice
	if req.ToolConfig != nil {
		choice = req.ToolConfig.ToolChoice
	}
	switch {
	case choice != nil && choice.Tool != nil:
		for _, s := range specs {
			if s.Name == choice.Tool.Name {
				chosen = append(chosen, s)
			}
		}
	case choice != nil && choice.Any != nil:
		best, bestScore := specs[0], -1
		for _, s := range specs {
			if sc := overlap(words, toolWords(s)); sc > bestScore {
				best, bestScore = s, sc
			}
		}
		chosen = append(chosen, best)
	default:
		for _, s := range specs {
			if overlap(words, toolWords(s)) > 0 {
				chosen = append(chosen, s)
			}
		}
		if len(chosen) == 0 {
			chosen = instructedTools(req, specs, question)
		}
	}
	if len(chosen) == 0 {
		return nil
	}
	calls := make([]wire.ToolUseBlock, 0, len(chosen))
	for i, s := range chosen {
		input := fillSchema(schemaOf(s), newFiller(question))
		// Valid against the tool's schema whatever values were picked (schema.go).
		input = conformInput(inputSchemaJSON(s), input)
		b, _ := json.Marshal(input) // built from JSON values only
		calls = append(calls, wire.ToolUseBlock{
			ToolUseID: toolUseID(req, s.Name, i),
			Name:      s.Name,
			Input:     b,
		})
	}
	return calls
}

// instructedTools are the tools a system prompt tells the model to use for
// every request ("using only the Weather_Tool"), when the question names a
// place and the tool takes one: AWS's weather example asks "Where is the
// warmest city in Washington State right now?", which shares no word with
// the tool's description, and Nova and Claude call the tool for it.
func instructedTools(req *wire.ConverseRequest, specs []*wire.ToolSpecification, question string) []*wire.ToolSpecification {
	system := systemText(req.System)
	if system == "" {
		return nil
	}
	f := newFiller(question)
	if f.place() == "" {
		return nil
	}
	var out []*wire.ToolSpecification
	for _, s := range specs {
		if !strings.Contains(system, s.Name) {
			continue
		}
		props, _ := schemaOf(s)["properties"].(map[string]any)
		for name := range props {
			if k := kindOf(name); k == kindLatitude || k == kindLongitude || k == kindPlace {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func toolSpecs(tc *wire.ToolConfiguration) []*wire.ToolSpecification {
	if tc == nil {
		return nil
	}
	var out []*wire.ToolSpecification
	for _, t := range tc.Tools {
		if t.ToolSpec != nil {
			out = append(out, t.ToolSpec)
		}
	}
	return out
}

func lastUserHasToolResults(msgs []wire.Message) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != wire.ConversationRoleUser {
			continue
		}
		return slices.ContainsFunc(msgs[i].Content, func(c wire.ContentBlock) bool { return c.ToolResult != nil })
	}
	return false
}

// toolUseID is deterministic per conversation and call, in the form Bedrock
// uses ("tooluse_" and 22 URL-safe characters).
func toolUseID(req *wire.ConverseRequest, name string, i int) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d:%s:%d", requestSeed(req), name, i)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	v := h.Sum64()
	b := []byte("tooluse_")
	for range 22 {
		b = append(b, alphabet[v%64])
		v = v/64 ^ v*0x9E3779B97F4A7C15
	}
	return string(b)
}

// stopwords carry no intent; they must not make a tool look relevant.
var stopwords = map[string]bool{
	"the": true, "and": true, "for": true, "what": true, "with": true, "this": true, "that": true,
	"from": true, "how": true, "are": true, "you": true, "your": true, "can": true, "please": true,
	"get": true, "use": true, "tool": true, "tools": true, "current": true, "give": true, "tell": true,
	"about": true, "into": true, "like": true, "want": true, "need": true, "there": true, "which": true,
}

// wordsOf splits text into lower-case words of three or more letters, and
// CJK text into overlapping character pairs, which is how CJK words overlap.
func wordsOf(s string) map[string]bool {
	out := map[string]bool{}
	var word []rune
	var cjk []rune
	flush := func() {
		if w := strings.ToLower(string(word)); len(word) >= 3 && !stopwords[w] {
			out[w] = true
			out[strings.TrimSuffix(w, "s")] = true
		}
		word = word[:0]
		for i := 0; i+1 < len(cjk); i++ {
			out[string(cjk[i:i+2])] = true
		}
		cjk = cjk[:0]
	}
	prev := rune(0)
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
			if len(word) > 0 {
				w := cjk
				cjk = nil
				flush()
				cjk = w
			}
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			// camelCase and snake_case boundaries split words.
			if unicode.IsUpper(r) && unicode.IsLower(prev) {
				flush()
			}
			if len(cjk) > 0 {
				flush()
			}
			word = append(word, r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return out
}

func toolWords(s *wire.ToolSpecification) map[string]bool {
	w := wordsOf(s.Name)
	for k := range wordsOf(wire.Val(s.Description)) {
		w[k] = true
	}
	return w
}

func overlap(a, b map[string]bool) int {
	n := 0
	for w := range a {
		if b[w] {
			n++
		}
	}
	return n
}

func schemaOf(s *wire.ToolSpecification) map[string]any {
	var schema map[string]any
	if s.InputSchema != nil {
		_ = json.Unmarshal(s.InputSchema.JSON, &schema) // not an object: no properties
	}
	return schema
}

// filler produces values for schema properties from the user's text.
type filler struct {
	text    string
	numbers []float64 // numbers of the text not used yet, in order
	// enumWords are the schema's enum values: text that names one of them
	// answers that property, not another.
	enumWords map[string]bool
}

func newFiller(text string) *filler {
	f := &filler{text: text, numbers: numbersIn(text)}
	if c, ok := coordinatesIn(text); ok {
		// A coordinate pair belongs to latitude/longitude, not to counts.
		f.numbers = slices.DeleteFunc(f.numbers, func(v float64) bool { return v == c[0] || v == c[1] || v == -c[0] || v == -c[1] })
	}
	return f
}

// fillSchema returns a value valid against schema: required properties are
// present, enums honoured, types, bounds and lengths right. Values come from
// the relevant part of the text where the property's name says what it is
// (a place for "city", a call sign for "sign", the subject of the request
// for "query"); optional properties are filled only when the text supplies
// a value for them.
func fillSchema(schema map[string]any, f *filler) any {
	if schema == nil {
		return map[string]any{}
	}
	f.enumWords = map[string]bool{}
	collectEnums(schema, f.enumWords, 0)
	return f.value("", schema, 0)
}

func collectEnums(v any, out map[string]bool, depth int) {
	if depth > 16 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if k == "enum" {
				if vals, ok := sub.([]any); ok {
					for _, e := range vals {
						if s, ok := e.(string); ok {
							out[s] = true
						}
					}
				}
				continue
			}
			collectEnums(sub, out, depth+1)
		}
	case []any:
		for _, sub := range x {
			collectEnums(sub, out, depth+1)
		}
	}
}

func (f *filler) value(name string, schema map[string]any, depth int) any {
	if schema == nil {
		return f.str(name, nil) // any value is valid; a name's value reads best
	}
	if depth > 8 {
		return map[string]any{}
	}
	if v, ok := schema["const"]; ok {
		return v
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		if v, ok := f.enumValue(enum); ok {
			return v
		}
		if d, ok := schema["default"]; ok && slices.ContainsFunc(enum, func(e any) bool { return jsonSame(e, d) }) {
			return d
		}
		return enum[0]
	}
	if alts, ok := schema["allOf"].([]any); ok && len(alts) > 0 {
		return f.value(name, mergeAllOf(schema, alts), depth+1)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := schema[key].([]any); ok && len(alts) > 0 {
			// The first alternative that is not just null.
			for _, a := range alts {
				if alt, ok := a.(map[string]any); ok && schemaType(alt) != "null" {
					return f.value(name, alt, depth+1)
				}
			}
			if alt, ok := alts[0].(map[string]any); ok {
				return f.value(name, alt, depth+1)
			}
		}
	}
	switch schemaType(schema) {
	case "object":
		return f.object(schema, depth)
	case "array":
		return f.array(name, schema, depth)
	case "integer":
		return int64(math.Round(f.number(name, schema, true)))
	case "number":
		return f.number(name, schema, false)
	case "boolean":
		if v, ok := f.boolean(name); ok {
			return v
		}
		if d, ok := schema["default"].(bool); ok {
			return d
		}
		return false
	case "null":
		return nil
	}
	s, found := f.str(name, schema), f.suppliesString(name, schema)
	if d, ok := schema["default"].(string); ok && !found {
		return d
	}
	return s
}

func (f *filler) object(schema map[string]any, depth int) map[string]any {
	out := map[string]any{}
	props, _ := schema["properties"].(map[string]any)
	required := map[string]bool{}
	if req, ok := schema["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		sub, _ := props[k].(map[string]any)
		if required[k] || f.supplies(k, sub) {
			out[k] = f.value(k, sub, depth+1)
		}
	}
	for k := range required { // required but not described: any value
		if _, ok := out[k]; !ok {
			out[k] = f.str(k, nil)
		}
	}
	return out
}

func (f *filler) array(name string, schema map[string]any, depth int) []any {
	items, _ := schema["items"].(map[string]any)
	n := 1
	if v, ok := schema["minItems"].(float64); ok && int(v) > n {
		n = min(int(v), 100)
	}
	if v, ok := schema["maxItems"].(float64); ok && int(v) < n {
		n = max(int(v), 0)
	}
	out := make([]any, 0, n)
	for i := range n {
		v := f.value(name, items, depth+1)
		if unique, _ := schema["uniqueItems"].(bool); unique && i > 0 {
			v = distinct(v, i)
		}
		out = append(out, v)
	}
	return out
}

// distinct makes the i-th of several generated array items differ from the
// others, for uniqueItems.
func distinct(v any, i int) any {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%s %d", x, i+1)
	case int64:
		return x + int64(i)
	case float64:
		return x + float64(i)
	}
	return v
}

// mergeAllOf combines the object parts of allOf alternatives into one
// schema, so every alternative's required properties are filled.
func mergeAllOf(schema map[string]any, alts []any) map[string]any {
	out := map[string]any{}
	for k, v := range schema {
		if k != "allOf" {
			out[k] = v
		}
	}
	props := map[string]any{}
	if p, ok := schema["properties"].(map[string]any); ok {
		maps.Copy(props, p)
	}
	var required []any
	if r, ok := schema["required"].([]any); ok {
		required = append(required, r...)
	}
	for _, a := range alts {
		alt, ok := a.(map[string]any)
		if !ok {
			continue
		}
		for k, v := range alt {
			switch k {
			case "properties":
				if p, ok := v.(map[string]any); ok {
					maps.Copy(props, p)
				}
			case "required":
				if r, ok := v.([]any); ok {
					required = append(required, r...)
				}
			default:
				if _, set := out[k]; !set {
					out[k] = v
				}
			}
		}
	}
	if len(props) > 0 {
		out["properties"] = props
	}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

func jsonSame(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func schemaType(schema map[string]any) string {
	switch t := schema["type"].(type) {
	case string:
		return t
	case []any:
		for _, v := range t {
			if s, ok := v.(string); ok && s != "null" {
				return s
			}
		}
	}
	if _, ok := schema["properties"]; ok {
		return "object"
	}
	if _, ok := schema["items"]; ok {
		return "array"
	}
	return "string"
}

// enumValue is the enum member the text names, as a whole word or phrase
// ("high" in "high priority", not "low" in "follow").
func (f *filler) enumValue(enum []any) (any, bool) {
	// Words as tokenize splits them, so "优先级high" holds "high".
	var words []string
	for _, t := range tokenize(f.text) {
		words = append(words, t.lower)
	}
	lower := " " + strings.Join(words, " ") + " "
	for _, e := range enum {
		s, ok := e.(string)
		if !ok || s == "" {
			continue
		}
		want := " " + strings.Join(strings.Fields(strings.ToLower(s)), " ") + " "
		if strings.Contains(lower, want) || (isCJK([]rune(s)[0]) && strings.Contains(f.text, s)) {
			return e, true
		}
	}
	return nil, false
}

// nameKind sorts a property by what its name says it holds.
type nameKind int

const (
	kindOther nameKind = iota
	kindLatitude
	kindLongitude
	kindPlace
	kindCode
	kindName
	kindEmail
	kindURL
	kindDate
	kindID
	kindQuery
	kindTopic
	kindText
)

// kindOf reads a property name: snake_case, camelCase and kebab-case words.
func kindOf(name string) nameKind {
	words := nameWords(name)
	has := func(ws ...string) bool {
		for _, w := range ws {
			if words[w] {
				return true
			}
		}
		return false
	}
	switch {
	case has("latitude", "lat"):
		return kindLatitude
	case has("longitude", "lon", "lng", "long"):
		return kindLongitude
	case has("email", "mail"):
		return kindEmail
	case has("url", "uri", "link", "website", "href"):
		return kindURL
	case has("date", "day", "datetime", "timestamp"):
		return kindDate
	case has("sign", "callsign", "symbol", "ticker", "station", "airport", "iata", "icao", "currency", "stock"):
		return kindCode
	case has("id", "uuid", "number", "no", "sku", "code", "zip", "postal", "postcode"):
		return kindID
	case has("location", "city", "place", "address", "country", "destination", "origin", "region", "town", "state", "area", "venue", "where", "province", "county"):
		return kindPlace
	case has("name", "person", "user", "username", "author", "artist", "company", "organization", "organisation", "team", "contact", "recipient", "customer", "employee", "owner"):
		return kindName
	case has("query", "q", "search", "keywords", "keyword", "term", "terms", "question", "prompt", "phrase", "expression", "input"):
		return kindQuery
	case has("topic", "subject", "title", "category", "genre", "tag", "tags"):
		return kindTopic
	case has("description", "details", "detail", "message", "body", "content", "summary", "reason", "note", "notes", "comment", "issue", "problem", "text", "instructions"):
		return kindText
	}
	return kindOther
}

func nameWords(name string) map[string]bool {
	out := map[string]bool{}
	var w []rune
	flush := func() {
		if len(w) > 0 {
			out[strings.ToLower(string(w))] = true
		}
		w = w[:0]
	}
	prev := rune(0)
	for _, r := range name {
		switch {
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			w = append(w, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			w = append(w, r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return out
}

// supplies reports whether the text holds a value for an optional property.
func (f *filler) supplies(name string, schema map[string]any) bool {
	if enum, ok := schema["enum"].([]any); ok {
		_, found := f.enumValue(enum)
		return found
	}
	switch schemaType(schema) {
	case "number", "integer":
		if k := kindOf(name); k == kindLatitude || k == kindLongitude {
			_, ok := f.coordinates()
			return ok
		}
		return len(f.numbers) > 0 && countLike(name)
	case "boolean":
		_, ok := f.boolean(name)
		return ok
	case "string":
		return f.suppliesString(name, schema)
	}
	return false
}

// countLike names hold a count or a limit the text may state ("top 5").
func countLike(name string) bool {
	w := nameWords(name)
	for _, k := range []string{"count", "limit", "max", "results", "num", "n", "k", "size", "days", "hours", "top", "amount", "quantity", "year", "page", "number"} {
		if w[k] {
			return true
		}
	}
	return false
}

// suppliesString reports whether the text holds a value of the kind the
// string property's name asks for (a fallback does not count).
func (f *filler) suppliesString(name string, schema map[string]any) bool {
	_, found := f.strFound(name, schema)
	return found
}

func (f *filler) str(name string, schema map[string]any) string {
	s, _ := f.strFound(name, schema)
	return s
}

var (
	idPattern    = regexp.MustCompile(`[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*`)
	emailPattern = regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`)
	datePattern  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	urlPattern   = regexp.MustCompile(`https?://[^\s"'<>]+`)
	placePattern = regexp.MustCompile(`\b(?:in|for|at|to|near|from)\s+((?:[A-Z][\p{L}'-]+)(?:\s+[A-Z][\p{L}'-]+)*)`)
)

// strFound is the string the text offers for a property, and whether the
// text really held one of its kind (rather than a fallback).
func (f *filler) strFound(name string, schema map[string]any) (string, bool) {
	v, found := f.pick(name, schema)
	if v == "" {
		v = clip(subject(f.text), 200)
	}
	if v == "" {
		v = name
	}
	if v == "" {
		v = "value"
	}
	return fitString(v, schema, f), found
}

func (f *filler) pick(name string, schema map[string]any) (string, bool) {
	format, _ := schema["format"].(string)
	switch format {
	case "email":
		if m := emailPattern.FindString(f.text); m != "" {
			return m, true
		}
		return "user@example.com", false
	case "uri", "url", "iri":
		if m := urlPattern.FindString(f.text); m != "" {
			return m, true
		}
		return "https://example.com/", false
	case "date":
		if m := datePattern.FindString(f.text); m != "" {
			return m, true
		}
		return "2025-01-01", false
	case "date-time":
		if m := datePattern.FindString(f.text); m != "" {
			return m + "T00:00:00Z", true
		}
		return "2025-01-01T00:00:00Z", false
	case "time":
		return "00:00:00", false
	case "uuid":
		return "00000000-0000-4000-8000-000000000000", false
	}
	quotes := quoted(f.text)
	switch kindOf(name) {
	case kindLatitude, kindLongitude:
		if c, ok := f.coordinates(); ok {
			v := c[0]
			if kindOf(name) == kindLongitude {
				v = c[1]
			}
			return strconv.FormatFloat(v, 'f', -1, 64), true
		}
	case kindEmail:
		if m := emailPattern.FindString(f.text); m != "" {
			return m, true
		}
	case kindURL:
		if m := urlPattern.FindString(f.text); m != "" {
			return m, true
		}
	case kindDate:
		if m := datePattern.FindString(f.text); m != "" {
			return m, true
		}
	case kindCode:
		for _, c := range codes(f.text) {
			if !f.enumWords[c] { // "EUR" answers the currency enum, not the ticker
				return c, true
			}
		}
		if len(quotes) > 0 {
			return quotes[0], true
		}
		if n := properNouns(f.text); len(n) > 0 {
			return n[0], false
		}
	case kindID:
		// The first alphanumeric run holding a digit ("C001", "C-42"); the
		// pattern is ASCII-only, so IDs inside CJK text are found too.
		for _, m := range idPattern.FindAllString(f.text, -1) {
			if strings.ContainsAny(m, "0123456789") {
				return m, true
			}
		}
		if c := codes(f.text); len(c) > 0 {
			return c[0], true
		}
	case kindPlace:
		if p := f.place(); p != "" {
			return p, true
		}
	case kindName:
		if n := properNouns(f.text); len(n) > 0 {
			return n[0], true
		}
		if len(quotes) > 0 {
			return quotes[0], true
		}
	case kindQuery:
		if len(quotes) > 0 {
			return quotes[0], true
		}
		return clip(subject(f.text), 200), false
	case kindTopic:
		if len(quotes) > 0 {
			return quotes[0], true
		}
		if t := topicOf(f.text); t != "this topic" {
			for _, article := range []string{"a ", "an ", "the "} {
				t = strings.TrimPrefix(t, article)
			}
			return t, false
		}
	case kindText:
		return clip(subject(f.text), 500), false
	default:
		if len(quotes) > 0 {
			return quotes[0], true
		}
	}
	return "", false
}

// fitString makes s meet the schema's length and pattern: a value of the
// text that matches the pattern replaces s when s does not.
func fitString(s string, schema map[string]any, f *filler) string {
	if p, ok := schema["pattern"].(string); ok && len(p) <= 1000 {
		if re, err := regexp.Compile(p); err == nil && !re.MatchString(s) {
			cands := append(append(quoted(f.text), codes(f.text)...), idPattern.FindAllString(f.text, 64)...)
			matched := false
			for _, c := range cands {
				if re.MatchString(c) {
					s, matched = c, true
					break
				}
			}
			if !matched {
				if g, ok := patternExample(p); ok && re.MatchString(g) {
					s = g
				}
			}
		}
	}
	if maxLen, ok := schema["maxLength"].(float64); ok && maxLen >= 0 && utf8.RuneCountInString(s) > int(maxLen) {
		s = string([]rune(s)[:int(maxLen)])
	}
	if minLen, ok := schema["minLength"].(float64); ok && minLen > 0 && minLen <= 10000 {
		for utf8.RuneCountInString(s) < int(minLen) {
			s += " " + strings.Repeat(".", max(1, int(minLen)-utf8.RuneCountInString(s)-1))
		}
	}
	return s
}

// patternExample builds a short string that matches a regular expression:
// the first alternative, the minimum repetitions, the lowest character of
// each class.
func patternExample(pattern string) (string, bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	var walk func(re *syntax.Regexp, depth int) bool
	walk = func(re *syntax.Regexp, depth int) bool {
		if depth > 50 || b.Len() > 1000 {
			return false
		}
		switch re.Op {
		case syntax.OpLiteral:
			b.WriteString(string(re.Rune))
		case syntax.OpCharClass:
			if len(re.Rune) == 0 {
				return false
			}
			r := re.Rune[0]
			if r < ' ' && len(re.Rune) > 1 && re.Rune[1] >= 'a' {
				r = max(re.Rune[0], 'a') // prefer a printable letter
			}
			b.WriteRune(r)
		case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			b.WriteByte('a')
		case syntax.OpCapture:
			return walk(re.Sub[0], depth+1)
		case syntax.OpPlus:
			return walk(re.Sub[0], depth+1)
		case syntax.OpRepeat:
			for range min(re.Min, 100) {
				if !walk(re.Sub[0], depth+1) {
					return false
				}
			}
		case syntax.OpConcat:
			for _, sub := range re.Sub {
				if !walk(sub, depth+1) {
					return false
				}
			}
		case syntax.OpAlternate:
			return walk(re.Sub[0], depth+1)
		case syntax.OpStar, syntax.OpQuest, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
			syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		default:
			return false
		}
		return true
	}
	if !walk(re, 0) {
		return "", false
	}
	return b.String(), true
}

func (f *filler) number(name string, schema map[string]any, integer bool) float64 {
	v, found := 0.0, false
	switch kindOf(name) {
	case kindLatitude, kindLongitude:
		if c, ok := f.coordinates(); ok {
			v, found = c[0], true
			if kindOf(name) == kindLongitude {
				v = c[1]
			}
		}
	default:
		if n, ok := numberNear(f.text, name); ok && (!integer || n == math.Trunc(n)) {
			if i := slices.Index(f.numbers, n); i >= 0 {
				v, found = n, true
				f.numbers = slices.Delete(f.numbers, i, i+1)
				break
			}
		}
		for i, n := range f.numbers {
			if !integer || n == math.Trunc(n) {
				v, found = n, true
				f.numbers = slices.Delete(f.numbers, i, i+1)
				break
			}
		}
	}
	if !found {
		switch d := schema["default"].(type) {
		case float64:
			v = d
		default:
			v = 1
		}
	}
	if lo, ok := schema["minimum"].(float64); ok && v < lo {
		v = lo
	}
	if hi, ok := schema["maximum"].(float64); ok && v > hi {
		v = hi
	}
	step := 1e-6
	if integer {
		v = math.Round(v)
		step = 1
	}
	if lo, ok := schema["exclusiveMinimum"].(float64); ok && v <= lo {
		v = lo + step
		if integer {
			v = math.Floor(lo) + 1
		}
	}
	if hi, ok := schema["exclusiveMaximum"].(float64); ok && v >= hi {
		v = hi - step
		if integer {
			v = math.Ceil(hi) - 1
		}
	}
	if m, ok := schema["multipleOf"].(float64); ok && m > 0 {
		v = math.Round(v/m) * m
	}
	return v
}

// boolean reads a flag from the text: "include_forecast" is true when the
// text mentions a forecast, false when it says "without forecast"; no
// mention, no value.
func (f *filler) boolean(name string) (bool, bool) {
	words := nameWords(name)
	for _, skip := range []string{"is", "include", "includes", "with", "enable", "enabled", "use", "show", "get", "has", "should", "allow", "want", "need", "do", "only"} {
		delete(words, skip)
	}
	toks := tokenize(f.text)
	for i, t := range toks {
		w := strings.TrimSuffix(t.lower, "s")
		if len(w) < 3 || !(words[t.lower] || words[w] || words[w+"s"]) {
			continue
		}
		for j := max(0, i-3); j < i; j++ {
			switch toks[j].lower {
			case "no", "not", "without", "don't", "dont", "exclude", "excluding", "disable", "never":
				return false, true
			}
		}
		return true, true
	}
	return false, false
}

// place is the place the text names: a well-known city, a capitalised name
// after "in", "for", "at", "to", "near" or "from", or the first proper noun.
func (f *filler) place() string {
	for _, c := range places {
		for _, n := range c.names {
			if strings.Contains(f.text, n) {
				return c.names[0]
			}
		}
	}
	if m := placePattern.FindStringSubmatch(f.text); m != nil {
		return m[1]
	}
	for _, n := range properNouns(f.text) {
		if len(codes(n)) == 0 { // "WZPZ" is a call sign, not a place
			return n
		}
	}
	return ""
}

// coordinates are a latitude/longitude pair written in the text, or those
// of the well-known city it names.
func (f *filler) coordinates() ([2]float64, bool) {
	if c, ok := coordinatesIn(f.text); ok {
		return c, true
	}
	p := f.place()
	for _, c := range places {
		if c.names[0] == p {
			return c.latLon, true
		}
	}
	return [2]float64{}, false
}

// places lets location tools get real coordinates for well-known cities, as
// a model would infer them (the seeds' weather tool takes latitude and
// longitude).
var places = [...]struct {
	names  []string
	latLon [2]float64
}{
	{[]string{"Paris", "巴黎"}, [2]float64{48.8566, 2.3522}},
	{[]string{"London", "伦敦"}, [2]float64{51.5072, -0.1276}},
	{[]string{"New York", "纽约"}, [2]float64{40.7128, -74.006}},
	{[]string{"Seattle", "西雅图"}, [2]float64{47.6062, -122.3321}},
	{[]string{"San Francisco", "旧金山"}, [2]float64{37.7749, -122.4194}},
	{[]string{"Tokyo", "东京"}, [2]float64{35.6762, 139.6503}},
	{[]string{"Beijing", "北京"}, [2]float64{39.9042, 116.4074}},
	{[]string{"Shanghai", "上海"}, [2]float64{31.2304, 121.4737}},
	{[]string{"Shenzhen", "深圳"}, [2]float64{22.5431, 114.0579}},
	{[]string{"Hong Kong", "香港"}, [2]float64{22.3193, 114.1694}},
	{[]string{"Singapore", "新加坡"}, [2]float64{1.3521, 103.8198}},
	{[]string{"Sydney", "悉尼"}, [2]float64{-33.8688, 151.2093}},
	{[]string{"Berlin", "柏林"}, [2]float64{52.52, 13.405}},
	{[]string{"Madrid", "马德里"}, [2]float64{40.4168, -3.7038}},
	{[]string{"Rome", "罗马"}, [2]float64{41.9028, 12.4964}},
	{[]string{"Moscow", "莫斯科"}, [2]float64{55.7558, 37.6173}},
	{[]string{"Dubai", "迪拜"}, [2]float64{25.2048, 55.2708}},
	{[]string{"Mumbai", "孟买"}, [2]float64{19.076, 72.8777}},
	{[]string{"São Paulo", "Sao Paulo", "圣保罗"}, [2]float64{-23.5558, -46.6396}},
	{[]string{"Toronto", "多伦多"}, [2]float64{43.6532, -79.3832}},
	// Regions a question may name instead of a city ("the warmest city in
	// Washington State"): their geographic centre.
	{[]string{"Washington State", "Washington state"}, [2]float64{47.7511, -120.7401}},
	{[]string{"California", "加州"}, [2]float64{36.7783, -119.4179}},
	{[]string{"Texas", "得克萨斯"}, [2]float64{31.9686, -99.9018}},
	{[]string{"Florida", "佛罗里达"}, [2]float64{27.6648, -81.5158}},
}

// toolLead is the short text Claude and Nova write before their tool calls
// ("I'll check the weather …"); clients such as AWS's own Converse tool
// example print content[0].text of a tool-use answer before running the
// tools.
func toolLead(calls []wire.ToolUseBlock) string {
	names := make([]string, 0, len(calls))
	for _, c := range calls {
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return fmt.Sprintf("I'll use %s to answer that.", joinAnd(names))
}

// toolResultAnswer is the built-in model's reply after the client sent tool
// results: it reports what each tool returned, or nothing when the last user
// turn holds no tool results.
func toolResultAnswer(req *wire.ConverseRequest) (string, bool) {
	if !lastUserHasToolResults(req.Messages) {
		return "", false
	}
	names := map[string]string{}
	for _, m := range req.Messages {
		for _, c := range m.Content {
			if c.ToolUse != nil {
				names[c.ToolUse.ToolUseID] = c.ToolUse.Name
			}
		}
	}
	var last wire.Message
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == wire.ConversationRoleUser {
			last = req.Messages[i]
			break
		}
	}
	var parts []string
	for _, c := range last.Content {
		r := c.ToolResult
		if r == nil {
			continue
		}
		name := names[r.ToolUseID]
		if name == "" {
			name = "the tool"
		}
		var vals []string
		for _, rc := range r.Content {
			switch {
			case rc.JSON != nil:
				vals = append(vals, compactJSON(rc.JSON))
			case rc.Text != nil:
				vals = append(vals, strings.TrimSpace(*rc.Text))
			case rc.Image != nil:
				vals = append(vals, "an image")
			case rc.Document != nil:
				vals = append(vals, "a document named "+rc.Document.Name)
			}
		}
		content := clip(strings.Join(vals, " "), 400)
		// A text result that ends a sentence keeps its own full stop.
		stop := "."
		if strings.HasSuffix(content, ".") || strings.HasSuffix(content, "!") || strings.HasSuffix(content, "?") {
			stop = ""
		}
		if r.Status == wire.ToolResultStatusError {
			parts = append(parts, fmt.Sprintf("%s reported an error: %s%s", name, content, stop))
		} else {
			parts = append(parts, fmt.Sprintf("%s returned %s%s", name, content, stop))
		}
	}
	return "Based on the tool results: " + strings.Join(parts, " "), true
}

func compactJSON(doc wire.Document) string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return string(doc)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
