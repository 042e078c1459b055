package tokens

import (
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func newCounter(tb testing.TB) *Counter {
	tb.Helper()
	c, err := New()
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func opticks(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/opticks.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Published cl100k_base encodings, found independently of the Go port:
//   - "tiktoken is great!": OpenAI cookbook, "How to count tokens with
//     tiktoken" (and tiktoken's own README example).
//   - "It work!!!", "台北 101 高度 508 公尺", "🫡🍣顏文字": the test vectors of
//     a PHP port of tiktoken, generated with Python tiktoken.
//   - "Large language models predict the next token.": a tiktoken tutorial
//     that prints Python tiktoken's output.
var published = []struct {
	text string
	ids  []uint
}{
	{"tiktoken is great!", []uint{83, 1609, 5963, 374, 2294, 0}},
	{"It work!!!", []uint{2181, 990, 12340}},
	{"台北 101 高度 508 公尺", []uint{55038, 49409, 220, 4645, 18630, 41519, 27479, 220, 19869, 35469, 105, 16175, 118}},
	{"🫡🍣顏文字", []uint{9468, 104, 94, 9468, 235, 96, 14167, 237, 88435}},
	{"Large language models predict the next token.", []uint{35353, 4221, 4211, 7168, 279, 1828, 4037, 13}},
}

func TestPublishedEncodings(t *testing.T) {
	c := newCounter(t)
	for _, tc := range published {
		ids, _, err := c.codec.Encode(tc.text)
		if err != nil {
			t.Fatalf("Encode(%q): %v", tc.text, err)
		}
		if diff := cmp.Diff(tc.ids, ids); diff != "" {
			t.Errorf("Encode(%q) (-want +got):\n%s", tc.text, diff)
		}
		if got := c.Text(tc.text); got != len(tc.ids) {
			t.Errorf("Text(%q) = %d, want %d", tc.text, got, len(tc.ids))
		}
	}
}

func TestText(t *testing.T) {
	c := newCounter(t)
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		// " " is a single token in every byte-level BPE vocabulary (id 220).
		{"space", " ", 1},
		// The published vectors above, joined by a space: the space attaches
		// to "It" (" It" is one token as "It" is), so 6 + 3.
		{"two sentences", "tiktoken is great! It work!!!", 6 + 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

// TestInvalidUTF8 checks that invalid bytes count as U+FFFD, as with Python
// tiktoken's default errors="replace", rather than as raw bytes.
func TestInvalidUTF8(t *testing.T) {
	c := newCounter(t)
	for _, tc := range []struct{ invalid, replaced string }{
		{"a\xffb", "a\uFFFDb"},
		{"\xe2\x82", "\uFFFD"}, // a truncated sequence is one maximal subpart
		{"caf\xe9 au lait", "caf\uFFFD au lait"},
	} {
		want := c.Text(tc.replaced)
		if got := c.Text(tc.invalid); got != want || want == 0 {
			t.Errorf("Text(%q) = %d, Text(%q) = %d", tc.invalid, got, tc.replaced, want)
		}
	}
}

// TestSegmentationKeepsCounts checks that cutting long text into segments
// gives exactly the count of tokenising it whole, on real prose and on
// indented code, and that the cuts really happen.
func TestSegmentationKeepsCounts(t *testing.T) {
	c := newCounter(t)
	code := strings.Repeat("func f(x int) int {\n\tif x > 0 {\n\t\treturn x * 2 // double it\n\t}\n\treturn -x\n}\n\n", 300)
	for name, s := range map[string]string{"opticks": opticks(t), "code": code} {
		t.Run(name, func(t *testing.T) {
			segs := segments(s)
			if len(segs) < 10 {
				t.Fatalf("%d segments for %d bytes: cuts do not happen", len(segs), len(s))
			}
			whole, err := c.codec.Count(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Text(s); got != whole {
				t.Errorf("Text = %d, tokenising whole = %d", got, whole)
			}
		})
	}
}

func segments(s string) []string {
	var out []string
	for len(s) > 0 {
		n := nextSegment(s)
		if n <= 0 || n > len(s) {
			panic("nextSegment out of range")
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

func checkSegments(t *testing.T, s string) {
	t.Helper()
	segs := segments(s)
	if got := strings.Join(segs, ""); got != s {
		t.Fatalf("segments do not rebuild the input")
	}
	for i, seg := range segs {
		if len(seg) > maxSegment {
			t.Errorf("segment %d is %d bytes, more than %d", i, len(seg), maxSegment)
		}
		if utf8.ValidString(s) && !utf8.ValidString(seg) {
			t.Errorf("segment %d cuts a character", i)
		}
		if run := longestSpaceRun(seg); run > maxSpaceRun {
			t.Errorf("segment %d holds a whitespace run of %d bytes", i, run)
		}
	}
}

func longestSpaceRun(s string) int {
	longest, start := 0, -1
	for i, r := range s {
		if strings.ContainsRune(" \t\n\r\v\f\u0085\u00a0\u3000", r) {
			if start < 0 {
				start = i
			}
			longest = max(longest, i+utf8.RuneLen(r)-start)
		} else {
			start = -1
		}
	}
	return longest
}

func TestSegmentBounds(t *testing.T) {
	c := newCounter(t)
	inputs := map[string]string{
		"mixed whitespace": strings.Repeat("\n \t", 20000),
		"spaces":           strings.Repeat(" ", 20000),
		"ideographic":      strings.Repeat("\u3000\n", 20000),
		"letters":          strings.Repeat("a", 20000),
		"cjk":              strings.Repeat("顏文字", 5000),
		"prose":            opticks(t)[:30000],
		"words and runs":   strings.Repeat("word"+strings.Repeat(" ", 100), 300),
	}
	for name, s := range inputs {
		t.Run(name, func(t *testing.T) {
			checkSegments(t, s)
			// Whitespace-heavy input took minutes unsegmented (1 MB); here it
			// must at least produce a plausible count.
			if n := c.Text(s); n <= 0 || n > len(s) {
				t.Errorf("Text = %d for %d bytes", n, len(s))
			}
		})
	}
}

func FuzzText(f *testing.F) {
	c := newCounter(f)
	for _, tc := range published {
		f.Add(tc.text)
	}
	f.Add(strings.Repeat("\n \t", 3000))
	f.Add(opticks(f)[:9000])
	f.Add("\xff\xfe" + strings.Repeat("é", 5000))
	f.Fuzz(func(t *testing.T, s string) {
		checkSegments(t, s)
		n := c.Text(s)
		// Byte-level BPE never needs more than one token per byte, except
		// that an invalid byte becomes U+FFFD (3 bytes).
		if n < 0 || n > 3*len(s) || (len(s) > 0 && n == 0) {
			t.Errorf("Text = %d for %d bytes", n, len(s))
		}
	})
}

func TestConcurrentText(t *testing.T) {
	c := newCounter(t)
	text := opticks(t)
	parts := make([]string, 16)
	for i := range parts {
		parts[i] = text[i*4000 : i*4000+4000]
	}
	want := make([]int, len(parts))
	for i, p := range parts {
		want[i] = c.Text(p)
	}
	got := make([]int, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() { got[i] = c.Text(p) })
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("concurrent counts differ (-serial +concurrent):\n%s", diff)
	}
}
