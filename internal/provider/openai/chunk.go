package openai

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeChunk decodes one "data:" payload of a chat-completions stream.
// Most chunks carry a few bytes of content, and encoding/json spends more on
// them than the rest of the stream's translation together (reflection, the
// scanner's state stack, an allocation per member), so the common shapes
// are read here by hand, straight from the string: content, reasoning and
// finish_reason deltas, unknown members skipped. Anything else (tool calls,
// usage, errors, stop_reason, \u escapes, a member name differing from ours
// only in case, a repeated member, numbers that are not plain integers) goes
// to encoding/json, whose result the fast path must equal: FuzzDecodeChunk
// checks that on every input the fast path accepts.
func decodeChunk(data string, c *chatChunk) error {
	if fastChunk(data, c) {
		return nil
	}
	*c = chatChunk{}
	return json.Unmarshal([]byte(data), c)
}

// chunkScanner reads a JSON text from a string; any surprise sets bad.
type chunkScanner struct {
	s     string
	i     int
	depth int
	bad   bool
}

// maxDepth bounds the nesting the fast path follows; deeper chunks go to
// encoding/json, which has limits of its own.
const maxDepth = 64

func fastChunk(data string, c *chatChunk) bool {
	sc := &chunkScanner{s: data}
	*c = chatChunk{}
	var seen uint8
	sc.object(func(key string) {
		switch {
		case key == "choices" && sc.once(&seen, 1):
			sc.choices(c)
		case key == "usage" && sc.once(&seen, 2):
			// Only a null usage stays on the fast path.
			sc.bad = sc.bad || !sc.literal("null")
		case key == "error" && sc.once(&seen, 4):
			// Only a null error stays on the fast path; encoding/json
			// keeps a null json.RawMessage as the text null.
			sc.bad = sc.bad || !sc.literal("null")
			c.Error = nullRaw()
		case strings.EqualFold(key, "choices"), strings.EqualFold(key, "usage"), strings.EqualFold(key, "error"):
			sc.bad = true
		default:
			sc.skipValue()
		}
	})
	sc.space()
	return !sc.bad && sc.i == len(sc.s)
}

func nullRaw() []byte { return []byte("null") }

// once reports whether bit is seen for the first time; a repeated member
// leaves the fast path (encoding/json lets the last one win).
func (sc *chunkScanner) once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		sc.bad = true
		return false
	}
	*seen |= bit
	return true
}

func (sc *chunkScanner) choices(c *chatChunk) {
	sc.space()
	if sc.literal("null") {
		return
	}
	c.Choices = make([]chunkChoice, 0, 1)
	sc.array(func() {
		c.Choices = append(c.Choices, chunkChoice{})
		sc.choice(&c.Choices[len(c.Choices)-1])
	})
}

func (sc *chunkScanner) choice(ch *chunkChoice) {
	var seen uint8
	sc.object(func(key string) {
		switch {
		case key == "index" && sc.once(&seen, 1):
			ch.Index = sc.integer()
		case key == "delta" && sc.once(&seen, 2):
			sc.delta(&ch.Delta)
		case key == "finish_reason" && sc.once(&seen, 4):
			ch.FinishReason = sc.nullableStr()
		case key == "stop_reason" && sc.once(&seen, 8):
			sc.bad = sc.bad || !sc.literal("null")
			ch.StopReason = nullRaw()
		case strings.EqualFold(key, "index"), strings.EqualFold(key, "delta"), strings.EqualFold(key, "finish_reason"), strings.EqualFold(key, "stop_reason"):
			sc.bad = true
		default:
			sc.skipValue()
		}
	})
}

func (sc *chunkScanner) delta(d *chunkDelta) {
	sc.space()
	if sc.literal("null") {
		return
	}
	var seen uint8
	sc.object(func(key string) {
		switch {
		case key == "content" && sc.once(&seen, 1):
			d.Content = sc.nullableStr()
		case key == "reasoning_content" && sc.once(&seen, 2):
			d.ReasoningContent = sc.nullableStr()
		case key == "reasoning" && sc.once(&seen, 4):
			d.Reasoning = sc.nullableStr()
		case key == "tool_calls" && sc.once(&seen, 8):
			// Tool calls take encoding/json's path; null is none.
			sc.bad = sc.bad || !sc.literal("null")
		case strings.EqualFold(key, "content"), strings.EqualFold(key, "reasoning_content"), strings.EqualFold(key, "reasoning"), strings.EqualFold(key, "tool_calls"):
			sc.bad = true
		default:
			sc.skipValue()
		}
	})
}

// The methods below form a small strict JSON reader: each either consumes
// one well-formed piece or sets bad.

func (sc *chunkScanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *chunkScanner) peek(b byte) bool { return sc.i < len(sc.s) && sc.s[sc.i] == b }

func (sc *chunkScanner) literal(lit string) bool {
	sc.space()
	if strings.HasPrefix(sc.s[sc.i:], lit) {
		sc.i += len(lit)
		return true
	}
	return false
}

// object reads an object, calling member for each key with the scanner
// before the member's value, which member must consume.
func (sc *chunkScanner) object(member func(key string)) {
	sc.space()
	if !sc.peek('{') || sc.depth >= maxDepth {
		sc.bad = true
		return
	}
	sc.i++
	sc.depth++
	defer func() { sc.depth-- }()
	sc.space()
	if sc.peek('}') {
		sc.i++
		return
	}
	for !sc.bad {
		sc.space()
		key, ok := sc.str()
		if !ok {
			sc.bad = true
			return
		}
		sc.space()
		if !sc.peek(':') {
			sc.bad = true
			return
		}
		sc.i++
		member(key)
		sc.space()
		switch {
		case sc.peek(','):
			sc.i++
		case sc.peek('}'):
			sc.i++
			return
		default:
			sc.bad = true
		}
	}
}

// array reads an array, calling elem with the scanner before each
// element, which elem must consume.
func (sc *chunkScanner) array(elem func()) {
	sc.space()
	if !sc.peek('[') || sc.depth >= maxDepth {
		sc.bad = true
		return
	}
	sc.i++
	sc.depth++
	defer func() { sc.depth-- }()
	sc.space()
	if sc.peek(']') {
		sc.i++
		return
	}
	for !sc.bad {
		elem()
		sc.space()
		switch {
		case sc.peek(','):
			sc.i++
		case sc.peek(']'):
			sc.i++
			return
		default:
			sc.bad = true
		}
	}
}

// str reads a string without \u escapes whose text is valid UTF-8.
func (sc *chunkScanner) str() (string, bool) {
	if !sc.peek('"') {
		return "", false
	}
	sc.i++
	start := sc.i
	for sc.i < len(sc.s) {
		switch b := sc.s[sc.i]; {
		case b == '"':
			s := sc.s[start:sc.i]
			sc.i++
			if !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case b == '\\':
			return sc.escapedStr(start)
		case b < 0x20:
			return "", false
		default:
			sc.i++
		}
	}
	return "", false
}

// escapedStr finishes a string that has escapes, from its first byte.
func (sc *chunkScanner) escapedStr(start int) (string, bool) {
	var b strings.Builder
	b.Grow(sc.i - start + 16)
	b.WriteString(sc.s[start:sc.i])
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", false
			}
			return s, true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			sc.i++
			continue
		}
		if sc.i+1 >= len(sc.s) {
			return "", false
		}
		switch sc.s[sc.i+1] {
		case '"':
			b.WriteByte('"')
		case '\\':
			b.WriteByte('\\')
		case '/':
			b.WriteByte('/')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default: // \u and anything invalid: encoding/json decides
			return "", false
		}
		sc.i += 2
	}
	return "", false
}

// nullableStr reads a string or null.
func (sc *chunkScanner) nullableStr() *string {
	sc.space()
	if sc.literal("null") {
		return nil
	}
	s, ok := sc.str()
	if !ok {
		sc.bad = true
		return nil
	}
	return &s
}

// integer reads a plain integer that fits an int.
func (sc *chunkScanner) integer() int {
	sc.space()
	start := sc.i
	if sc.peek('-') {
		sc.i++
	}
	digits := sc.i
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		sc.i++
	}
	if sc.i == digits || sc.s[digits] == '0' && sc.i-digits > 1 {
		sc.bad = true
		return 0
	}
	if sc.i < len(sc.s) && (sc.s[sc.i] == '.' || sc.s[sc.i] == 'e' || sc.s[sc.i] == 'E') {
		sc.bad = true
		return 0
	}
	n, err := strconv.Atoi(sc.s[start:sc.i])
	if err != nil {
		sc.bad = true
	}
	return n
}

// skipValue consumes any well-formed value.
func (sc *chunkScanner) skipValue() {
	sc.space()
	if sc.i >= len(sc.s) {
		sc.bad = true
		return
	}
	switch c := sc.s[sc.i]; {
	case c == '{':
		sc.object(func(string) { sc.skipValue() })
	case c == '[':
		sc.array(sc.skipValue)
	case c == '"':
		if _, ok := sc.str(); !ok {
			sc.bad = true
		}
	case c == 't':
		sc.bad = !sc.literal("true")
	case c == 'f':
		sc.bad = !sc.literal("false")
	case c == 'n':
		sc.bad = !sc.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		sc.number()
	default:
		sc.bad = true
	}
}

// number consumes a number in JSON's grammar.
func (sc *chunkScanner) number() {
	if sc.peek('-') {
		sc.i++
	}
	digits := func() int {
		n := 0
		for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
			sc.i++
			n++
		}
		return n
	}
	switch {
	case sc.peek('0'):
		sc.i++
	case digits() == 0:
		sc.bad = true
		return
	}
	if sc.peek('.') {
		sc.i++
		if digits() == 0 {
			sc.bad = true
			return
		}
	}
	if sc.peek('e') || sc.peek('E') {
		sc.i++
		if sc.peek('+') || sc.peek('-') {
			sc.i++
		}
		if digits() == 0 {
			sc.bad = true
		}
	}
}
