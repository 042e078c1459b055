// Package tokens counts tokens offline: text with a real BPE tokenizer whose
// vocabulary is compiled into the binary, media with published estimates. It
// serves CountTokens, the usage numbers of the built-in model and the prompt
// sizes at each cache checkpoint.
//
// # Which vocabulary
//
// The tokenizer is OpenAI's cl100k_base, from github.com/tiktoken-go/tokenizer.
// That module generates each vocabulary as a Go map literal (codec/*_vocab.go)
// that is filled, once per process, the first time a codec is built, so there
// is nothing to download or read from disk at run time. We import its codec
// package directly rather than tokenizer.Get, so the linker keeps only the one
// vocabulary we use (about +4 MB of binary; o200k_base would add about +7 MB,
// both together about +10 MB).
//
// cl100k_base rather than o200k_base because most models behind Bedrock are
// Anthropic's, whose tokenizer is not public and which yields more tokens
// for the same text than OpenAI's recent tokenizers. The smaller cl100k_base
// vocabulary (100k entries against 200k) splits text more finely, so its
// counts sit closer to what Bedrock reports and err less on the low side,
// which matters for cache minimums and quotas. It also builds in about half
// the time (10 ms against 22 ms on the first construction). o200k_base would
// be the better choice for non-English text, where it needs fewer tokens.
//
// Counts are approximations of what a given model reports; they are exact
// and stable for this package: the same input always gives the same count.
package tokens

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer/codec"
)

// Encoding names the BPE vocabulary Counter uses.
const Encoding = "cl100k_base"

// Counter counts tokens. It is safe for concurrent use; build one with New
// and share it, since construction compiles the split expression (and, the
// first time in a process, fills the vocabulary map).
type Counter struct {
	codec *codec.Codec
}

// selfCheck is the example from OpenAI's tiktoken documentation (the
// "How to count tokens with tiktoken" cookbook): cl100k_base encodes it as
// [83 1609 5963 374 2294 0].
const (
	selfCheckText   = "tiktoken is great!"
	selfCheckTokens = 6
)

// New builds a Counter. It fails only if the embedded tokenizer does not
// reproduce a documented count, which would mean a broken vocabulary.
func New() (*Counter, error) {
	c := codec.NewCl100kBase()
	// Replace invalid UTF-8 with U+FFFD before tokenising, as tiktoken does by
	// default, so that arbitrary bytes (a text document's payload) count
	// deterministically.
	c.SetErrorMode(codec.ErrorModeReplace)
	n, err := c.Count(selfCheckText)
	if err != nil {
		return nil, fmt.Errorf("tokenizer self-check: %w", err)
	}
	if n != selfCheckTokens {
		return nil, fmt.Errorf("tokenizer self-check: %q is %d tokens, want %d", selfCheckText, n, selfCheckTokens)
	}
	return &Counter{codec: c}, nil
}

// Segmentation bounds the cost of tokenising. The tokenizer's split
// expression runs on a backtracking engine over a rune copy of its input,
// and one of its alternatives (whitespace ending in a line break) is
// quadratic in the length of a whitespace run: 1 MB of "\n \t" takes minutes
// in one call. So Text feeds the tokenizer segments of at most maxSegment
// bytes, and whitespace runs of at most maxSpaceRun.
const (
	// minSegment is where Text starts looking for a safe cut.
	minSegment = 2 << 10
	// maxSegment is where Text cuts even without a safe place.
	maxSegment = 8 << 10
	// maxSpaceRun is the longest whitespace run tokenised in one piece.
	maxSpaceRun = 64
)

// Text returns the number of tokens in s.
//
// Text is tokenised in segments cut before a space that follows a
// non-space character and precedes an ASCII letter ("…word| next"). The
// tokenizer's pre-split always puts a piece boundary there, so for ordinary
// prose and code the count equals that of tokenising s in one piece. Only
// text with no such place in 8 KB (long runs without spaces) and whitespace
// runs longer than 64 bytes are cut elsewhere, which can move the count by a
// token per cut.
func (c *Counter) Text(s string) int {
	total := 0
	for len(s) > 0 {
		n := nextSegment(s)
		total += c.count(s[:n])
		s = s[n:]
	}
	return total
}

func (c *Counter) count(s string) int {
	n, err := c.codec.Count(s)
	if err != nil {
		// The codec fails only if matching fails (it sets no timeout), so
		// this is unreachable in practice; fall back on the usual four bytes
		// per token rather than reporting nothing.
		return ceilDiv(len(s), 4)
	}
	if n == 0 && s != "" {
		// The tokenizer's pre-split pattern skips some control bytes
		// (DEL, found by FuzzText); text is never free.
		return ceilDiv(len(s), 4)
	}
	return n
}

// nextSegment returns the length of the first segment of s to tokenise on
// its own (see the constants above).
func nextSegment(s string) int {
	spaceStart := -1 // start of the whitespace run ending at i, or -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			if spaceStart < 0 {
				spaceStart = i
			}
			if i+size-spaceStart > maxSpaceRun {
				if spaceStart > 0 {
					return spaceStart // the run starts a segment of its own
				}
				return i // a maxSpaceRun-long run (or less, at a wide rune)
			}
			if r == ' ' && i >= minSegment && spaceStart == i && i+1 < len(s) && isASCIILetter(s[i+1]) {
				return i
			}
		} else {
			spaceStart = -1
		}
		if i+size > maxSegment && i > 0 {
			return i
		}
		i += size
	}
	return len(s)
}

func isASCIILetter(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

func ceilDiv(a, b int) int {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
