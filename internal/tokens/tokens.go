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
	"strings"
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
	cache *pieceCache
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
	return &Counter{codec: c, cache: newPieceCache()}, nil
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

// count returns the tokens of one segment: c.codec.Count(s), computed
// faster. The codec's own split runs a regexp2 matcher that allocates per
// match (about 10 MB/s); splitPieces does the same split by hand and each
// piece is then counted by the codec alone (so by the very same BPE and
// vocabulary), through a cache. Tokenising a piece on its own gives the
// tokens it gets inside s: the split expression, applied to one of its own
// matches, matches it whole (FuzzFastEqualsRegexp checks this).
func (c *Counter) count(s string) int {
	s = replaceInvalid(s)
	n := 0
	splitPieces(s, func(piece string) { n += c.piece(piece) })
	if n == 0 && s != "" {
		// The tokenizer's pre-split pattern skips some control bytes
		// (DEL, found by FuzzText); text is never free.
		return ceilDiv(len(s), 4)
	}
	return n
}

// piece returns the number of tokens of one pre-split piece.
func (c *Counter) piece(p string) int {
	cacheable := len(p) <= maxCachedPiece
	if cacheable {
		if n, ok := c.cache.get(p); ok {
			return n
		}
	}
	n, err := c.codec.Count(p)
	if err != nil {
		// The codec fails only if matching fails (it sets no timeout), so
		// this is unreachable in practice; fall back on the usual four bytes
		// per token rather than reporting nothing.
		return ceilDiv(len(p), 4)
	}
	if cacheable {
		c.cache.put(p, n)
	}
	return n
}

// replaceInvalid replaces each maximal ill-formed subsequence of s with
// U+FFFD, as the codec does in ErrorModeReplace (and Python tiktoken with
// errors="replace") before splitting. Go's own decoder would replace a
// truncated sequence byte by byte, so this follows the codec's
// replaceUTF8 and maximalSubpart (tiktoken-go/tokenizer, MIT licence).
func replaceInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
			n = maximalSubpart(s)
		} else {
			sb.WriteString(s[:n])
		}
		s = s[n:]
	}
	return sb.String()
}

// maximalSubpart returns the length of the ill-formed sequence starting s:
// the longest prefix of a well-formed sequence, or one byte.
func maximalSubpart(s string) int {
	need, lo, hi := 0, byte(0x80), byte(0xBF)
	switch c := s[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(s); i++ {
		c := s[i]
		if i == 1 && (c < lo || c > hi) || i > 1 && (c < 0x80 || c > 0xBF) {
			break
		}
	}
	return i
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
