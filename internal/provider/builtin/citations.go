package builtin

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conversekit/converse/internal/media"
	"github.com/conversekit/converse/internal/wire"
)

// The built-in model cites the documents of the last user turn that have
// citations enabled, as Claude does on Bedrock: after its answer, one
// citationsContent block per document, whose generated text is a quote
// and whose citation names the document (title), the quote
// (sourceContent) and where it is (location). Which quote is
// deterministic: the sentence sharing the most words with the question,
// the first on a tie or when none shares any. Locations follow the
// document's kind as Anthropic's do: a text document's characters
// (documentChar, code points from 0, end exclusive), a document of
// content blocks' chunks (documentChunk, from 0, end exclusive), a PDF's
// pages (documentPage, from 1, end exclusive). The built-in model reads no
// PDF text, so a PDF citation points at page 1 and quotes nothing. Other
// formats (Office files, images of text) are not cited.

const (
	// quoteScan bounds the characters of one document read for a quote,
	// so a huge document costs no more than a large one.
	quoteScan = 1 << 16
	// quoteMax bounds a quote's length in characters.
	quoteMax = 240
)

// citedBlock is one citationsContent block of the answer: the generated
// text and its citation.
type citedBlock struct {
	text     string
	citation wire.Citation
}

// citationsOf returns the blocks citing each document of the last user
// turn with citations enabled, in order. documentIndex counts every
// document block of the request's messages, in order, as Bedrock's
// "index of the document within the array of documents provided in the
// request".
func citationsOf(req *wire.ConverseRequest) []citedBlock {
	last := -1
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == wire.ConversationRoleUser {
			last = i
			break
		}
	}
	if last < 0 {
		return nil
	}
	question := questionWords(questionOf(req.Messages))
	var out []citedBlock
	index := 0
	for i, m := range req.Messages {
		for _, c := range m.Content {
			d := c.Document
			if d == nil {
				continue
			}
			if i == last && d.Citations != nil && d.Citations.Enabled {
				if b, ok := cite(d, index, question); ok {
					out = append(out, b)
				}
			}
			index++
		}
	}
	return out
}

// cite quotes one document; ok is false for a document it cannot read.
func cite(d *wire.DocumentBlock, index int, question []string) (citedBlock, bool) {
	s := d.Source
	if s == nil {
		return citedBlock{}, false
	}
	c := wire.Citation{Title: d.Name}
	switch {
	case s.Text != nil:
		q, start, end, ok := bestSentence(*s.Text, question)
		if !ok {
			return citedBlock{}, false
		}
		c.Location = &wire.CitationLocation{DocumentChar: &wire.DocumentCharLocation{DocumentIndex: wire.Ptr(index), Start: wire.Ptr(start), End: wire.Ptr(end)}}
		return quoteBlock(c, q), true
	case len(s.Content) > 0:
		best, bestScore, quote := -1, -1, ""
		scanned := 0 // the chunks read share one quoteScan budget
		for k, part := range s.Content {
			if part.Text == nil || scanned >= quoteScan {
				continue
			}
			scanned += utf8.RuneCountInString(*part.Text)
			q, _, _, ok := bestSentence(*part.Text, question)
			if score := wordOverlap(strings.ToLower(q), question); ok && score > bestScore {
				best, bestScore, quote = k, score, q
			}
		}
		if best < 0 {
			return citedBlock{}, false
		}
		c.Location = &wire.CitationLocation{DocumentChunk: &wire.DocumentChunkLocation{DocumentIndex: wire.Ptr(index), Start: wire.Ptr(best), End: wire.Ptr(best + 1)}}
		return quoteBlock(c, quote), true
	case media.Sniff(s.Bytes) == "pdf":
		c.Location = &wire.CitationLocation{DocumentPage: &wire.DocumentPageLocation{DocumentIndex: wire.Ptr(index), Start: wire.Ptr(1), End: wire.Ptr(2)}}
		return citedBlock{text: fmt.Sprintf("(see page 1 of %s)", d.Name), citation: c}, true
	case slices.Contains([]wire.DocumentFormat{wire.DocumentFormatTxt, wire.DocumentFormatMd, wire.DocumentFormatCsv, wire.DocumentFormatHtml}, d.Format) && utf8.Valid(s.Bytes):
		q, start, end, ok := bestSentence(string(s.Bytes), question)
		if !ok {
			return citedBlock{}, false
		}
		c.Location = &wire.CitationLocation{DocumentChar: &wire.DocumentCharLocation{DocumentIndex: wire.Ptr(index), Start: wire.Ptr(start), End: wire.Ptr(end)}}
		return quoteBlock(c, q), true
	}
	return citedBlock{}, false
}

// quoteBlock is a block whose generated text is the quote it cites.
func quoteBlock(c wire.Citation, quote string) citedBlock {
	c.SourceContent = []wire.CitationSourceContent{{Text: wire.Ptr(quote)}}
	return citedBlock{text: quote, citation: c}
}

// bestSentence picks the sentence of text that shares the most words with
// question (the first on a tie) and returns it with its start and end in
// code points (end exclusive); ok is false when text has no words. Only
// the first quoteScan code points are read, and a quote is at most
// quoteMax long.
func bestSentence(text string, question []string) (quote string, start, end int, ok bool) {
	rs := []rune(text)
	if len(rs) > quoteScan {
		rs = rs[:quoteScan]
	}
	lower := make([]rune, len(rs))
	for i, r := range rs {
		lower[i] = unicode.ToLower(r)
	}
	best := -1
	for _, sp := range sentenceSpans(rs) {
		if score := wordOverlap(string(lower[sp[0]:sp[1]]), question); score > best {
			best, start, end = score, sp[0], sp[1]
		}
	}
	if best < 0 {
		return "", 0, 0, false
	}
	end = min(end, start+quoteMax)
	return string(rs[start:end]), start, end, true
}

// sentenceSpans are the spans of rs ending after ".", "!" or "?" followed by
// space, or at a line break, without surrounding space; spans without a
// letter or digit are left out.
func sentenceSpans(rs []rune) [][2]int {
	var out [][2]int
	add := func(a, b int) {
		for a < b && unicode.IsSpace(rs[a]) {
			a++
		}
		for b > a && unicode.IsSpace(rs[b-1]) {
			b--
		}
		if slices.ContainsFunc(rs[a:b], func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
			out = append(out, [2]int{a, b})
		}
	}
	from := 0
	for i, r := range rs {
		switch {
		case r == '\n':
			add(from, i)
			from = i + 1
		case strings.ContainsRune(".!?", r) && (i+1 == len(rs) || unicode.IsSpace(rs[i+1])):
			add(from, i+1)
			from = i + 1
		}
	}
	add(from, len(rs))
	return out
}

// questionWords are the distinct content words of a question, lower-case.
func questionWords(question string) []string {
	var out []string
	for _, t := range tokenize(question) {
		if isContent(t) && !slices.Contains(out, t.lower) {
			out = append(out, t.lower)
		}
	}
	return out
}

// wordOverlap counts the question words that lower (lower-case text)
// contains as whole words.
func wordOverlap(lower string, question []string) int {
	n := 0
	for _, w := range question {
		if containsWord(lower, w) {
			n++
		}
	}
	return n
}

// containsWord reports whether w occurs in s between non-word characters.
func containsWord(s, w string) bool {
	for from := 0; from+len(w) <= len(s); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(w):])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		from = i + 1
	}
	return false
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// delta is the citation as a stream's citation delta.
func (b *citedBlock) delta() *wire.CitationsDelta {
	d := &wire.CitationsDelta{Title: b.citation.Title, Source: b.citation.Source, Location: b.citation.Location}
	for _, sc := range b.citation.SourceContent {
		if sc.Text != nil {
			d.SourceContent = append(d.SourceContent, wire.CitationSourceContentDelta{Text: *sc.Text})
		}
	}
	return d
}
