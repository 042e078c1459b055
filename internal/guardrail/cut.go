package guardrail

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Cut says how much of text, a growing answer being streamed, can be
// assessed and released now without splitting anything a policy could
// match: it returns a byte index after a sentence end (or, failing that,
// after a space) that lies at least keep bytes before the end of the text
// and inside no PII entity, custom pattern, word-list or content-filter
// phrase. 0 means hold everything for now.
//
// A phrase that only becomes a match with words still to come (a phone
// number whose last digits have not arrived) is protected by keep: size
// it above the longest entity expected.
func (g *Guardrail) Cut(text string, keep int) int {
	limit := len(text) - keep
	if limit <= 0 {
		return 0
	}
	var spans [][2]int
	for _, s := range g.findSensitive(text) {
		spans = append(spans, [2]int{s.start, s.end})
	}
	toks := tokenize(text, len(text))
	lists := []*phraseSet{g.words, g.profanity}
	for _, f := range g.filters {
		if f.lex != nil {
			lists = append(lists, f.lex.phrases)
		}
	}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, h := range l.find(text, toks) {
			spans = append(spans, [2]int{h.start, h.end})
		}
	}
	inside := func(i int) bool {
		for _, s := range spans {
			if i > s[0] && i < s[1] {
				return true
			}
		}
		return false
	}
	space := 0
	for i := limit; i > 0; {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		i -= size
		if !unicode.IsSpace(r) || inside(i) {
			continue
		}
		if i > 0 && strings.ContainsAny(text[i-1:i], ".!?\n") || r == '\n' {
			return i + size
		}
		if space == 0 {
			space = i + size
		}
	}
	return space
}
