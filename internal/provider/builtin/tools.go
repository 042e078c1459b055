package builtin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

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
	}
	if len(chosen) == 0 {
		return nil
	}
	calls := make([]wire.ToolUseBlock, 0, len(chosen))
	for i, s := range chosen {
		input := fillSchema(schemaOf(s), &filler{text: question, numbers: numbersIn(question)})
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
	numbers []float64
}

var numberPattern = regexp.MustCompile(`-?\d+(?:\.\d+)?`)

func numbersIn(s string) []float64 {
	var out []float64
	for _, m := range numberPattern.FindAllString(s, -1) {
		if f, err := strconv.ParseFloat(m, 64); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// fillSchema returns a value valid against schema: required properties are
// present, enums honoured, types right. Optional properties are filled only
// when the text supplies a value for them.
func fillSchema(schema map[string]any, f *filler) any {
	return f.value("", schema, 0)
}

func (f *filler) value(name string, schema map[string]any, depth int) any {
	if schema == nil || depth > 8 {
		return map[string]any{}
	}
	if v, ok := schema["const"]; ok {
		return v
	}
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		lower := strings.ToLower(f.text)
		for _, e := range enum {
			if s, ok := e.(string); ok && s != "" && strings.Contains(lower, strings.ToLower(s)) {
				return e
			}
		}
		return enum[0]
	}
	if v, ok := schema["default"]; ok {
		return v
	}
	for _, key := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := schema[key].([]any); ok && len(alts) > 0 {
			if alt, ok := alts[0].(map[string]any); ok {
				return f.value(name, alt, depth+1)
			}
		}
	}
	switch schemaType(schema) {
	case "object":
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
		return out
	case "array":
		items, _ := schema["items"].(map[string]any)
		return []any{f.value(name, items, depth+1)}
	case "integer":
		return int64(f.number(name, schema))
	case "number":
		return f.number(name, schema)
	case "boolean":
		return false
	case "null":
		return nil
	}
	return f.str(name, schema)
}

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
	return "string"
}

// supplies reports whether the text holds a value for an optional property.
func (f *filler) supplies(name string, schema map[string]any) bool {
	n := strings.ToLower(name)
	switch {
	case hasAny(n, "location", "city", "place", "address", "country", "destination"):
		return f.place() != ""
	case hasAny(n, "lat", "lon", "lng"):
		_, ok := f.coordinates()
		return ok
	}
	if enum, ok := schema["enum"].([]any); ok {
		for _, e := range enum {
			if s, ok := e.(string); ok && s != "" && strings.Contains(strings.ToLower(f.text), strings.ToLower(s)) {
				return true
			}
		}
	}
	return false
}

func (f *filler) number(name string, schema map[string]any) float64 {
	n := strings.ToLower(name)
	v := 1.0
	if c, ok := f.coordinates(); ok && hasAny(n, "lat") {
		v = c[0]
	} else if ok && hasAny(n, "lon", "lng") {
		v = c[1]
	} else if len(f.numbers) > 0 {
		v, f.numbers = f.numbers[0], f.numbers[1:]
	}
	if lo, ok := schema["minimum"].(float64); ok && v < lo {
		v = lo
	}
	if hi, ok := schema["maximum"].(float64); ok && v > hi {
		v = hi
	}
	return v
}

var (
	idPattern    = regexp.MustCompile(`[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*`)
	emailPattern = regexp.MustCompile(`[\w.+-]+@[\w-]+(\.[\w-]+)+`)
	datePattern  = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	placePattern = regexp.MustCompile(`\b(?:in|for|at|to|near)\s+((?:[A-Z][\p{L}'-]+)(?:\s+[A-Z][\p{L}'-]+)*)`)
)

func (f *filler) str(name string, schema map[string]any) string {
	n := strings.ToLower(name)
	switch {
	case hasAny(n, "location", "city", "place", "address", "country", "destination", "region"):
		if p := f.place(); p != "" {
			return p
		}
	case hasAny(n, "email"):
		if m := emailPattern.FindString(f.text); m != "" {
			return m
		}
	case hasAny(n, "date", "day"):
		if m := datePattern.FindString(f.text); m != "" {
			return m
		}
	case strings.HasSuffix(n, "id") || strings.HasSuffix(n, "_id") || hasAny(n, "number", "code"):
		// The first alphanumeric run holding a digit ("C001", "C-42");
		// the pattern is ASCII-only, so IDs inside CJK text are found too.
		for _, m := range idPattern.FindAllString(f.text, -1) {
			if strings.ContainsAny(m, "0123456789") {
				return m
			}
		}
	}
	text := clip(f.text, 200)
	if text == "" {
		text = name
	}
	if maxLen, ok := schema["maxLength"].(float64); ok && maxLen >= 1 && len([]rune(text)) > int(maxLen) {
		text = string([]rune(text)[:int(maxLen)])
	}
	return text
}

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
	return ""
}

func (f *filler) coordinates() ([2]float64, bool) {
	p := f.place()
	for _, c := range places {
		if c.names[0] == p {
			return c.latLon, true
		}
	}
	return [2]float64{}, false
}

func hasAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
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
		if r.Status == wire.ToolResultStatusError {
			parts = append(parts, fmt.Sprintf("%s reported an error: %s.", name, content))
		} else {
			parts = append(parts, fmt.Sprintf("%s returned %s.", name, content))
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
