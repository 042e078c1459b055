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

// lengthRequest finds requests such as "in 300 words" or "1000 tokens".
var lengthRequest = regexp.MustCompile(`(?i)\b(\d{1,6})\s*(words?|tokens?)\b`)

// answerText composes the built-in model's reply to a request: it names the
// question, the system prompt and the turn, then continues with sentences
// about the question's topic. Its length is deterministic; a request that
// asks for "N words" or "N tokens" gets about that many words.
func answerText(req *wire.ConverseRequest) string {
	seed := requestSeed(req)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	question := questionOf(req.Messages)
	topic := topicOf(question)

	var b strings.Builder
	if question != "" {
		fmt.Fprintf(&b, "You asked: %q.", clip(question, 160))
	} else {
		b.WriteString("Here is my answer.")
	}
	if note := mediaNote(req.Messages); note != "" {
		b.WriteString(" " + note)
	}
	if sys := systemText(req.System); sys != "" {
		fmt.Fprintf(&b, " I am following the instructions %q.", clip(sys, 120))
	}
	if turns := userTurns(req.Messages); turns > 1 {
		fmt.Fprintf(&b, " This is turn %d of our conversation.", turns)
	}

	words := 40 + rng.IntN(80)
	if m := lengthRequest.FindStringSubmatch(question); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			words = n
		}
	}
	order := rng.Perm(len(sentences))
	for i, n := 0, wordCount(b.String()); n < words; i++ {
		s := sentences[order[i%len(order)]]
		t := topic
		if strings.HasPrefix(s, "%s") {
			t = capitalise(t)
		}
		sentence := fmt.Sprintf(s, t)
		b.WriteByte(' ')
		b.WriteString(sentence)
		n += wordCount(sentence)
	}
	return b.String()
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

func userTurns(msgs []wire.Message) int {
	n := 0
	for _, m := range msgs {
		if m.Role == wire.ConversationRoleUser {
			n++
		}
	}
	return n
}

// topicOf picks the longest word of the question as its topic: crude, but
// deterministic and usually a noun.
func topicOf(q string) string {
	best := ""
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' }) {
		if len([]rune(w)) > len([]rune(best)) {
			best = w
		}
	}
	if len([]rune(best)) < 3 || len([]rune(best)) > 40 {
		return "this topic"
	}
	return strings.ToLower(best)
}

func capitalise(s string) string {
	r := []rune(s)
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
