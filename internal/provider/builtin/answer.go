package builtin

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/wire"
)

// sentences are the built-in model's vocabulary: neutral statements about
// the topic of the question, chosen and ordered by a seed derived from the
// request so that the same request always gets the same answer.
var sentences = [...]string{
	"%s is best understood by starting from the problem it solves.",
	"A good first step with %s is to write down what you already know.",
	"Most questions about %s come down to a trade-off between cost and benefit.",
	"Experts usually approach %s by breaking it into smaller parts.",
	"The details of %s depend on the context in which it is used.",
	"It helps to compare %s with something familiar.",
	"A common mistake with %s is to optimise too early.",
	"Measuring %s before changing it avoids guesswork.",
	"There is more than one reasonable way to look at %s.",
	"Simple examples make %s easier to explain to others.",
	"The history of %s explains many of its conventions.",
	"Testing ideas about %s on a small scale keeps the risk low.",
	"Clear names and small steps make %s easier to follow.",
	"When %s fails, the first symptom is rarely the real cause.",
	"Documentation about %s is most useful when it shows examples.",
	"Over time, practice with %s turns rules into intuition.",
	"The limits of %s matter as much as its strengths.",
	"Sharing results about %s invites useful feedback.",
	"A checklist keeps work on %s consistent.",
	"Revisiting %s later often reveals a simpler approach.",
}

// answerText composes the built-in model's reply to a request, the way a
// model answers a short prompt: a greeting for "Hello", "1, 2, 3, 4, 5"
// for "count from 1 to 5", X for "say X", one word when asked for one
// word, N words (±10 %) for "in N words"; otherwise a few sentences about
// the question's topic, more for a longer question. Instructions in the
// system prompt count when the question has none. What the last user turn
// attaches is described first. The same request always gets the same text.
func answerText(req *wire.ConverseRequest) string {
	seed := requestSeed(req)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	question := questionOf(req.Messages)
	d := directiveOf(question)
	if d.empty() {
		d = directiveOf(clip(systemText(req.System), 2*questionWindow))
		d.say, d.count = "", nil // only the user asks to be echoed or counted for
	}
	switch {
	case d.count != nil:
		return d.count()
	case d.say != "":
		return d.say
	case d.words == 0 && d.sentences == 0 && isGreeting(question):
		return greetings[rng.IntN(len(greetings))]
	case d.words == 0 && d.sentences == 0 && asksIdentity(question):
		return identity
	case d.words == 1:
		return oneWord(question)
	}

	var b strings.Builder
	if note := mediaNote(req.Messages); note != "" && d.words == 0 {
		b.WriteString(note)
	}
	topic := topicOf(question)
	order := rng.Perm(len(sentences))
	sentence := func(i int) string {
		s := sentences[order[i%len(order)]]
		t := topic
		if strings.HasPrefix(s, "%s") {
			t = capitalise(t)
		}
		return fmt.Sprintf(s, t)
	}
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	if d.words > 0 {
		n := 0
		for i := 0; n < d.words; i++ {
			s := sentence(i)
			n += wordCount(s)
			add(s)
		}
		return firstWords(b.String(), d.words)
	}
	n := d.sentences
	if n == 0 {
		n = defaultSentences(question, rng)
	}
	for i := range n {
		add(sentence(i))
	}
	return b.String()
}

// defaultSentences is how long an answer without a length instruction is:
// one sentence for a few words, up to six for a long question.
func defaultSentences(question string, rng *rand.Rand) int {
	switch n := wordCount(question); {
	case n <= 5:
		return 1
	case n <= 12:
		return 2
	case n <= 30:
		return 3
	default:
		return 3 + rng.IntN(4)
	}
}

// maxAnswerWords bounds what "in N words" or "N tokens" can ask for.
const maxAnswerWords = 50_000

// directive is what a prompt asks of the answer's form.
type directive struct {
	words     int           // exactly this many words (1: one word)
	sentences int           // this many sentences
	say       string        // answer exactly this
	count     func() string // answer with this count
}

func (d directive) empty() bool {
	return d.words == 0 && d.sentences == 0 && d.say == "" && d.count == nil
}

var (
	// "in 50 words", "50-word", "1000 tokens", "under 30 words".
	lengthRequest  = regexp.MustCompile(`(?i)\b(\d{1,6}|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)[\s-]*(words?|tokens?|sentences?)\b`)
	oneWordRequest = regexp.MustCompile(`(?i)\b(?:one|1|a single|single)[\s-]word\b`)
	briefRequest   = regexp.MustCompile(`(?i)\b(?:be brief|briefly|terse(?:ly)?|concise(?:ly)?|short answer|keep it short|in short|tl;?dr|in (?:one|a single) line|one-liner)\b`)
	// "count from 1 to 5", "count to 10", "count down from 10 to 1",
	// "list the numbers from 3 to 7".
	countRequest = regexp.MustCompile(`(?i)\b(?:count(?:\s+(?:up|down))?|numbers?)(?:\s+from\s+(-?\d{1,6}))?\s+(?:to|through|until|up to)\s+(-?\d{1,6})\b`)
	// "Say hello", "Repeat after me: …", "Reply with OK only".
	sayRequest = regexp.MustCompile(`(?is)^(?:please\s+)?(?:now\s+|just\s+)?(?:say|repeat(?:\s+after\s+me)?|reply\s+with|respond\s+with|answer\s+with|echo)\s*[:,]?\s*(?:only\s+|just\s+|exactly\s+)?(?:the\s+word\s+)?(.+?)\s*(?:,?\s*(?:and\s+)?nothing\s+else|\s+only)?[.!]?$`)
	// "Say something about cats" asks for content, not an echo.
	sayVague     = regexp.MustCompile(`(?i)^(?:something|anything|a few|a little|more|what|how|why|it|that|this)\b`)
	yesNoRequest = regexp.MustCompile(`(?i)\b(?:answer|reply|respond)\s+(?:with\s+|only\s+)*(?:a\s+)?(?:"?yes"?\s+or\s+"?no"?)`)
	// A quoted answer after an answering verb: Reply with "pong".
	sayQuoted = regexp.MustCompile(`(?i)\b(?:say|repeat|reply|respond|answer|print|output|write|type|return|echo)\b[^"“']{0,40}["“']`)
)

// directiveOf reads the form a prompt asks for.
func directiveOf(q string) directive {
	var d directive
	q = strings.TrimSpace(q)
	if q == "" {
		return d
	}
	if m := countRequest.FindStringSubmatch(q); m != nil {
		from, to := 1, 0
		if m[1] != "" {
			from, _ = strconv.Atoi(m[1])
		}
		to, _ = strconv.Atoi(m[2])
		if span := to - from; span <= 1000 && span >= -1000 {
			d.count = func() string { return countText(from, to) }
			return d
		}
	}
	if oneWordRequest.MatchString(q) {
		d.words = 1
		return d
	}
	if qs := quoted(q); len(qs) > 0 && sayQuoted.MatchString(q) {
		d.say = qs[0]
		return d
	}
	if yesNoRequest.MatchString(q) {
		d.say = "Yes."
		return d
	}
	if m := sayRequest.FindStringSubmatch(q); m != nil && !lengthRequest.MatchString(q) && !sayVague.MatchString(m[1]) {
		if s := strings.Trim(strings.TrimSpace(m[1]), `"“”'`); s != "" && utf8.RuneCountInString(s) <= 400 {
			d.say = s
			return d
		}
	}
	if m := lengthRequest.FindStringSubmatch(q); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			n = smallNumbers[strings.ToLower(m[1])]
		}
		switch unit := strings.ToLower(m[2]); {
		case n <= 0:
		case strings.HasPrefix(unit, "sentence"):
			d.sentences = min(n, 200)
		case strings.HasPrefix(unit, "token"):
			// About three words for four tokens of English prose.
			d.words = min(max(n*3/4, 1), maxAnswerWords)
		default:
			d.words = min(n, maxAnswerWords)
		}
		return d
	}
	if briefRequest.MatchString(q) {
		d.sentences = 1
	}
	return d
}

// countText counts from one number to another, either way.
func countText(from, to int) string {
	var b strings.Builder
	step := 1
	if to < from {
		step = -1
	}
	for i := from; ; i += step {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(i))
		if i == to {
			return b.String()
		}
	}
}

// greetingPattern is a message that only greets ("Hello", "hi there!",
// "Good morning, Claude").
var greetingPattern = regexp.MustCompile(`(?i)^\s*(?:hello|hi|hey|hiya|howdy|greetings|yo|hola|bonjour|hallo|ciao|good\s+(?:morning|afternoon|evening|day)|你好|您好|こんにちは)(?:\s+there)?(?:[\s,!.]+how\s+are\s+you(?:\s+doing)?(?:\s+today)?|[\s,]+\p{L}+)?[\s!.?]*$`)

var greetings = [...]string{
	"Hello! How can I help you today?",
	"Hi there! What can I do for you?",
	"Hello! What would you like to talk about?",
}

func isGreeting(q string) bool { return len(q) <= 64 && greetingPattern.MatchString(q) }

// identityPattern is a question about the model itself ("Who are you?",
// "In one paragraph, who are you?", "Introduce yourself"), which AWS's
// Converse examples ask.
var identityPattern = regexp.MustCompile(`(?i)(?:\b(?:who|what)\s+are\s+you\s*(?:[?.!,]|$)|\b(?:introduce|describe)\s+yourself\b|\btell\s+me\s+about\s+yourself\b)`)

// identity is how the built-in model introduces itself: what it is, in
// one paragraph, as a hosted model would.
const identity = "I am the built-in model of converse, a local stand-in for the Bedrock model you called. " +
	"I answer deterministically from the conversation, so the same request always gets the same reply, " +
	"call the tools you offer with arguments taken from your question, and report token usage as Bedrock does."

func asksIdentity(q string) bool { return len(q) <= 200 && identityPattern.MatchString(q) }

// oneWord answers in one word: "Yes" to a yes/no question, otherwise the
// name or topic word the question is about.
func oneWord(q string) string {
	toks := tokenize(q)
	if len(toks) > 0 {
		switch toks[0].lower {
		case "is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "will", "would", "has", "have", "isn't", "aren't":
			return "Yes."
		}
	}
	word := ""
	if names := properNouns(q); len(names) > 0 {
		word = names[len(names)-1]
	} else {
		word = topicOf(q)
	}
	if f := strings.Fields(word); len(f) > 0 {
		word = f[len(f)-1]
	}
	return capitalise(word) + "."
}

// firstWords keeps the first n words of s and ends them as a sentence.
func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	last := strings.TrimRight(f[len(f)-1], ".,;:!?")
	if last == "" {
		last = f[len(f)-1]
	}
	f[len(f)-1] = last + "."
	return strings.Join(f, " ")
}

// requestSeed hashes the conversation (system, messages, tools), so key
// order in the client's body does not matter and inference settings
// (maxTokens, stopSequences) cut the same answer short rather than change
// it. Text blocks, where huge prompts live, are written to the hash as they
// are; other blocks are hashed as their canonical JSON one at a time, so no
// copy of the whole conversation is ever made.
func requestSeed(req *wire.ConverseRequest) uint64 {
	h := fnv.New64a()
	var n [8]byte
	field := func(tag byte, b []byte) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write([]byte{tag})
		h.Write(n[:])
		h.Write(b)
	}
	var chunk [4096]byte
	text := func(tag byte, s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write([]byte{tag})
		h.Write(n[:])
		for len(s) > 0 { // fnv has no WriteString: copy through a small buffer
			k := copy(chunk[:], s)
			h.Write(chunk[:k])
			s = s[k:]
		}
	}
	block := func(v any) {
		b, _ := json.Marshal(v) // decoded requests always marshal
		field('j', b)
	}
	for _, sb := range req.System {
		if sb.Text != nil && *sb.Text != "" {
			text('s', *sb.Text)
			continue
		}
		block(sb)
	}
	for _, m := range req.Messages {
		text('r', string(m.Role))
		for _, c := range m.Content {
			if c.Text != nil && *c.Text != "" {
				text('t', *c.Text)
				continue
			}
			block(c)
		}
	}
	if req.ToolConfig != nil {
		block(req.ToolConfig)
	}
	return h.Sum64()
}

// questionWindow is how much of each end of the question the built-in
// model reads: enough for any instruction ("in 50 words", a tool's
// arguments), while a 100 MiB prompt costs no more than a short one.
const questionWindow = 8 << 10

// questionOf is the last user turn's text, its middle left out when it is
// longer than two windows.
func questionOf(msgs []wire.Message) string {
	q := lastUserText(msgs)
	if len(q) <= 2*questionWindow {
		return q
	}
	i, j := questionWindow, len(q)-questionWindow
	for i > 0 && !utf8.RuneStart(q[i]) { // cut between runes
		i--
	}
	for j < len(q) && !utf8.RuneStart(q[j]) {
		j++
	}
	return q[:i] + " … " + q[j:]
}

func lastUserText(msgs []wire.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != wire.ConversationRoleUser {
			continue
		}
		var parts []string
		for _, c := range msgs[i].Content {
			if c.Text != nil {
				parts = append(parts, strings.TrimSpace(*c.Text))
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
	}
	return ""
}

func systemText(sys []wire.SystemContentBlock) string {
	var parts []string
	for _, s := range sys {
		if s.Text != nil {
			parts = append(parts, strings.TrimSpace(*s.Text))
		}
	}
	return strings.Join(parts, " ")
}

func capitalise(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// clip collapses runs of white space to one space and keeps the first n
// runes, adding "…" when it cut. It reads only as far as it keeps, so a
// huge prompt costs no more than a short one.
func clip(s string, n int) string {
	var b strings.Builder
	runes, space := 0, false
	emit := func(r rune) bool {
		if runes == n {
			return false
		}
		b.WriteRune(r)
		runes++
		return true
	}
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if (space && !emit(' ')) || !emit(r) {
			return b.String() + "…"
		}
		space = false
	}
	return b.String()
}

func wordCount(s string) int { return len(strings.Fields(s)) }
