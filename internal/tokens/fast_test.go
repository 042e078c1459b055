package tokens

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// regexpText is Text as it was before splitPieces: every segment counted by
// the codec's own regexp2 split.
func regexpText(tb testing.TB, c *Counter, s string) int {
	tb.Helper()
	total := 0
	for _, seg := range segments(s) {
		n, err := c.codec.Count(seg)
		if err != nil {
			tb.Fatalf("codec.Count(%q): %v", seg, err)
		}
		if n == 0 {
			n = ceilDiv(len(seg), 4)
		}
		total += n
	}
	return total
}

func checkFastEqualsRegexp(t *testing.T, c *Counter, s string) {
	t.Helper()
	if got, want := c.Text(s), regexpText(t, c, s); got != want {
		t.Errorf("Text(%.200q) = %d, codec split gives %d", s, got, want)
	}
}

// quirks are inputs on which the generated matcher the codec runs differs
// from the expression it was generated from (see splitPieces).
var quirks = []string{
	"\x7f", "a\x7f", "\x7fa", " \x7f", "!\x7f!", "a\x7f\x7fb",
	"\n \n x", " \r\n \n\n y", "\t\n\t", "a \n  \n", "x\n\n \r z",
	"'ſ", "it'ſ", "'ſa", "'S", "'LL", "'lL", "'Re", "'vE", "'x", "'",
	"1234567", "٣٣٣٣", "²³¹", " 12 ", "a1b2",
	"\u00a0a", "\u3000\u3000b", "\u2028\n", "\u0085x", " \u0301a",
}

func TestFastEqualsRegexpPinned(t *testing.T) {
	c := newCounter(t)
	var inputs []string
	for _, tc := range published {
		inputs = append(inputs, tc.text)
	}
	inputs = append(inputs, quirks...)
	inputs = append(inputs,
		"", " ", "tiktoken is great! It work!!!",
		"a\xffb", "\xe2\x82", "caf\xe9 au lait",
		strings.Repeat("\n \t ", 2000),
		strings.Repeat("word"+strings.Repeat(" ", 100), 50),
		strings.Repeat("func f(x int) int {\n\tif x > 0 {\n\t\treturn x * 2 // double it\n\t}\n\treturn -x\n}\n\n", 30),
	)
	for _, s := range inputs {
		checkFastEqualsRegexp(t, c, s)
	}
}

// TestFastEqualsRegexpRunes puts a sample of all runes (every ASCII and
// Latin-1 one, then one in 61) in contexts that exercise every alternative.
func TestFastEqualsRegexpRunes(t *testing.T) {
	c := newCounter(t)
	var b strings.Builder
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if r >= 0x100 && r%61 != 0 || !utf8.ValidRune(r) {
			continue
		}
		ch := string(r)
		b.WriteString("a" + ch + " " + ch + "b '" + ch + ch + "1" + ch + "\n" + ch + " \n!" + ch + "  ")
	}
	checkFastEqualsRegexp(t, c, b.String())
}

// mixedCorpus builds about n bytes of English, code, CJK, emoji, whitespace
// runs, contractions and invalid UTF-8, in a fixed pseudo-random order.
func mixedCorpus(tb testing.TB, n int) string {
	prose := opticks(tb)
	rng := rand.New(rand.NewPCG(1, 2))
	frags := []func() string{
		func() string { i := rng.IntN(len(prose) - 600); return prose[i : i+rng.IntN(600)] },
		func() string {
			return "func f(x int) int {\n\tif x > 0 {\n\t\treturn x * 2 // double it\n\t}\r\n\treturn -x\n}\n\n"
		},
		func() string { return `{"type":"object","properties":{"city":{"type":"string"}}}` },
		func() string {
			return "台北 101 高度 508 公尺。顏文字、日本語のテキスト、한국어 문장."
		},
		func() string { return "🫡🍣👩‍👩‍👧‍👦 🇫🇷 ✨x✨ e\u0301 \u0301" },
		func() string {
			return strings.Repeat([]string{" ", "\t", "\n", "\r\n", "\u00a0", "\u3000"}[rng.IntN(6)], rng.IntN(90))
		},
		func() string { return "I'm sure you'll see they'RE fine; it'S HE'D, WE'VE, ſhe'ſ\x7f." },
		func() string {
			return string([]byte{byte(rng.IntN(256)), byte(rng.IntN(256)), 0xe2, 0x82, 'a', 0xff, 0xc3})
		},
		func() string { return "x=0x7F; y = 1234567.89e-10; ٣٤٥٦ ²³" },
	}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(frags[rng.IntN(len(frags))]())
	}
	return b.String()
}

func TestFastEqualsRegexpCorpus(t *testing.T) {
	c := newCounter(t)
	s := mixedCorpus(t, 1<<20)
	// Whole, so segmenting is exercised, and fragment by fragment, so that
	// a difference is reported on a short input.
	if got, want := c.Text(s), regexpText(t, c, s); got != want {
		for i := 0; i < len(s); i += 1000 {
			checkFastEqualsRegexp(t, c, s[i:min(i+1000, len(s))])
		}
		t.Fatalf("Text = %d, codec split gives %d", got, want)
	}
}

func FuzzFastEqualsRegexp(f *testing.F) {
	c := newCounter(f)
	for _, tc := range published {
		f.Add(tc.text)
	}
	for _, s := range quirks {
		f.Add(s)
	}
	f.Add(mixedCorpus(f, 4000))
	f.Fuzz(func(t *testing.T, s string) {
		checkFastEqualsRegexp(t, c, s)
	})
}
