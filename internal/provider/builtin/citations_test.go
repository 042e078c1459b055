package builtin

import (
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

func TestBestSentence(t *testing.T) {
	long := strings.Repeat("word ", 100)
	for _, tc := range []struct {
		name, text, question, quote string
		start, end                  int
	}{
		{"most shared words", "Cats purr. Dogs bark loudly at night. Birds sing.", "Why do dogs bark at night?", "Dogs bark loudly at night.", 11, 37},
		{"first on no overlap", "  First line\nSecond line.", "Anything?", "First line", 2, 12},
		{"first on a tie", "Red apples. Red cherries.", "red things", "Red apples.", 0, 11},
		{"code points", "Ça va. Über alles!", "über", "Über alles!", 7, 18},
		{"capped", long, "word", strings.Repeat("word ", 48), 0, quoteMax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, start, end, ok := bestSentence(tc.text, questionWords(tc.question))
			if !ok || q != tc.quote || start != tc.start || end != tc.end {
				t.Errorf("got %q [%d:%d] %v; want %q [%d:%d]", q, start, end, ok, tc.quote, tc.start, tc.end)
			}
		})
	}
	if _, _, _, ok := bestSentence(" ... \n !", nil); ok {
		t.Error("a text without words gave a quote")
	}
}

// A huge document costs no more than quoteScan code points: a sentence
// beyond them is never quoted.
func TestBestSentenceBounded(t *testing.T) {
	text := strings.Repeat("filler text. ", quoteScan/12) + "The needle is here."
	q, _, _, _ := bestSentence(text, questionWords("where is the needle"))
	if q == "The needle is here." {
		t.Error("quoted past the scan bound")
	}
}

// Citations that do not fit maxTokens are left out and the answer stops
// with max_tokens; the answer's own text comes first.
func TestCitationsRespectMaxTokens(t *testing.T) {
	m := newModel(t)
	body := `{"messages":[{"role":"user","content":[
		{"document":{"format":"txt","name":"d","source":{"text":"The sky is blue and the long sentence goes on for a while."},"citations":{"enabled":true}}},
		{"text":"What colour is the sky?"}]}]}`
	req := decode(t, body)
	full, err := m.Converse(t.Context(), &provider.Call{ModelID: "m", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	content := full.Output.Message.Content
	if len(content) != 2 || content[1].CitationsContent == nil || full.StopReason != wire.StopReasonEndTurn {
		t.Fatalf("answer %+v, stop %s", content, full.StopReason)
	}
	room := full.Usage.OutputTokens - 1
	req.InferenceConfig = &wire.InferenceConfiguration{MaxTokens: &room}
	cut, err := m.Converse(t.Context(), &provider.Call{ModelID: "m", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cut.Output.Message.Content); n != 1 || cut.StopReason != wire.StopReasonMaxTokens || cut.Usage.OutputTokens > room {
		t.Errorf("with %d tokens: %d blocks, stop %s, %d output tokens", room, n, cut.StopReason, cut.Usage.OutputTokens)
	}
}

// BenchmarkCitations: a 64K-character document, the most one citation reads.
func BenchmarkCitations(b *testing.B) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog near the river bank. ", 1000)
	req := &wire.ConverseRequest{Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{
		{Document: &wire.DocumentBlock{Name: "d", Format: wire.DocumentFormatTxt, Source: &wire.DocumentSource{Text: &text}, Citations: &wire.CitationsConfig{Enabled: true}}},
		{Text: wire.Ptr("Where does the fox jump over the dog?")},
	}}}}
	for b.Loop() {
		if len(citationsOf(req)) != 1 {
			b.Fatal("no citation")
		}
	}
}
