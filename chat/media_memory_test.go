package chat_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

func zipWith(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("<x/>"))
	w.Close()
	return b.Bytes()
}

func TestMediaFormats(t *testing.T) {
	ole := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}
	cases := []struct {
		name string
		m    chat.Media
		want string // JSON of the block's format (and name)
	}{
		{"png", chat.Image([]byte("\x89PNG\r\n\x1a\nrest")), "image/png"},
		{"jpeg", chat.Image([]byte{0xFF, 0xD8, 0xFF, 0xE0}), "image/jpeg"},
		{"gif", chat.Image([]byte("GIF89a....")), "image/gif"},
		{"webp", chat.Image([]byte("RIFF\x00\x00\x00\x00WEBPVP8 ")), "image/webp"},
		{"mkv", chat.Video([]byte("\x1a\x45\xdf\xa3\x42\x82\x88matroska")), "video/mkv"},
		{"webm", chat.Video([]byte("\x1a\x45\xdf\xa3\x42\x82\x84webm")), "video/webm"},
		{"mp4", chat.Video([]byte("\x00\x00\x00\x18ftypisom")), "video/mp4"},
		{"mov", chat.Video([]byte("\x00\x00\x00\x14ftypqt  ")), "video/mov"},
		{"3gp", chat.Video([]byte("\x00\x00\x00\x14ftyp3gp5")), "video/three_gp"},
		{"flv", chat.Video([]byte("FLV\x01\x05")), "video/flv"},
		{"mpeg", chat.Video([]byte{0, 0, 1, 0xBA, 0x44}), "video/mpeg"},
		{"wmv", chat.Video([]byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11, 0xA6}), "video/wmv"},
		{"s3", chat.VideoS3("s3://bucket/clips/chicks.mp4", ""), "video/mp4"},
		{"pdf", chat.Document("spring-ai-reference-overview.pdf", []byte("%PDF-1.7\n")), "document/pdf/spring-ai-reference-overview"},
		{"docx", chat.Document("Q3 report (final).docx", zipWith(t, "word/document.xml")), "document/docx/Q3 report (final)"},
		{"xlsx", chat.Document("sheet.xlsx", zipWith(t, "xl/workbook.xml")), "document/xlsx/sheet"},
		{"doc", chat.Document("old.doc", ole), "document/doc/old"},
		{"xls", chat.Document("old.xls", ole), "document/xls/old"},
		{"html", chat.Document("page", []byte("<!DOCTYPE html><p>hi")), "document/html/page"},
		{"csv", chat.Document("data.csv", []byte("a,b\n1,2\n")), "document/csv/data"},
		{"md", chat.Document("README.md", []byte("# Title\n")), "document/md/README"},
		{"txt", chat.Document("notes_v2.1.txt", []byte("plain")), "document/txt/notes-v2-1"},
		{"reader", chat.DocumentReader("r.md", strings.NewReader("# x")), "document/md/r"},
		{"any reader: image", chat.Reader("photo", strings.NewReader("\x89PNG\r\n\x1a\nrest")), "image/png"},
		{"any reader: video", chat.Reader("clip", strings.NewReader("FLV\x01\x05")), "video/flv"},
		{"any reader: document", chat.Reader("data.csv", strings.NewReader("a,b\n")), "document/csv/data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Err(); err != nil {
				t.Fatal(err)
			}
			var got string
			switch b := tc.m.Block().(type) {
			case *types.ContentBlockMemberImage:
				got = "image/" + string(b.Value.Format)
			case *types.ContentBlockMemberVideo:
				got = "video/" + string(b.Value.Format)
			case *types.ContentBlockMemberDocument:
				got = "document/" + string(b.Value.Format) + "/" + *b.Value.Name
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	for name, bad := range map[string]chat.Media{
		"image":    chat.Image([]byte("not an image")),
		"video":    chat.Video([]byte("not a video")),
		"s3":       chat.VideoS3("https://bucket/x.mp4", ""),
		"binary":   chat.Document("x.bin", []byte{1, 2, 0, 3}),
		"zip":      chat.Document("x.zip", zipWith(t, "other.txt")),
		"missing":  chat.File(filepath.Join(t.TempDir(), "none.png")),
		"too big?": chat.DocumentReader("x", strings.NewReader("")), // empty is fine: txt
		"too big":  chat.Reader("x", io.LimitReader(zeros{}, 25<<20+1)),
	} {
		if (bad.Err() == nil) != (name == "too big?") {
			t.Errorf("%s: err %v", name, bad.Err())
		}
	}
}

func TestDocumentName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":             "report",
		"a  b\t\tc.txt":          "a b c",
		"weird/name:*?.md":       "weird-name-",
		"[draft] (v2).docx":      "[draft] (v2)",
		".pdf":                   "document",
		strings.Repeat("x", 300): strings.Repeat("x", 200),
	} {
		if got := chat.DocumentName(in); got != want {
			t.Errorf("DocumentName(%q) = %q, want %q", in, got, want)
		}
		if got := chat.DocumentName(in); !wire.ValidDocumentName(got) {
			t.Errorf("DocumentName(%q) = %q, which the server's validator refuses", in, got)
		}
	}
}

// Media reach the server as the user message's blocks, after the text.
func TestMediaCall(t *testing.T) {
	rec := &recording{Provider: builtinModel(t)}
	c := newClient(t, start(t, rec), chat.WithOptions(chat.Options{Model: nova}))
	png, err := os.ReadFile(filepath.Join("testdata", "test.png"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("# Notes\nconverse"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = c.Prompt().User("Explain what do you see on this picture?", chat.Image(png), chat.File(filepath.Join(dir, "notes.md"))).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	content := rec.last(t).Messages[0].Content
	if len(content) != 3 || content[1].Image == nil || content[1].Image.Format != "png" || content[2].Document == nil || content[2].Document.Format != "md" {
		t.Errorf("user content %s", asJSON(t, content))
	}
	if !bytes.Equal(content[1].Image.Source.Bytes, png) {
		t.Error("image bytes changed on the way")
	}
	// A media error stops the call before anything is sent.
	n := rec.count()
	if _, err := c.Prompt().User("x", chat.Image([]byte("junk"))).Call(t.Context()); err == nil || rec.count() != n {
		t.Errorf("bad media: err %v, %d requests sent", err, rec.count()-n)
	}
}

func user(s string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func assistant(s string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: s}}}
}

func toolCallMsg(id string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: &id}}}}
}

func toolResultMsg(id string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: &id}}}}
}

// shape names messages: u/a text by their text, T:<id> a tool call, R:<id> a result.
func shape(msgs []types.Message) []string {
	var out []string
	for _, m := range msgs {
		var parts []string
		for _, c := range m.Content {
			switch v := c.(type) {
			case *types.ContentBlockMemberText:
				parts = append(parts, v.Value)
			case *types.ContentBlockMemberToolUse:
				parts = append(parts, "T:"+*v.Value.ToolUseId)
			case *types.ContentBlockMemberToolResult:
				parts = append(parts, "R:"+*v.Value.ToolUseId)
			case *types.ContentBlockMemberCachePoint:
				parts = append(parts, "cache")
			}
		}
		out = append(out, string(m.Role[0])+"("+strings.Join(parts, ",")+")")
	}
	return out
}

func TestWindow(t *testing.T) {
	conv := []types.Message{user("q1"), assistant("a1"), user("q2"), toolCallMsg("t1"), toolResultMsg("t1"), assistant("a2"), user("q3"), assistant("a3")}
	cases := []struct {
		max  int
		msgs []types.Message
		want []string
	}{
		{10, conv, []string{"u(q1)", "a(a1)", "u(q2)", "a(T:t1)", "u(R:t1)", "a(a2)", "u(q3)", "a(a3)"}},
		{7, conv, []string{"u(q2)", "a(T:t1)", "u(R:t1)", "a(a2)", "u(q3)", "a(a3)"}},
		{5, conv, []string{"u(q3)", "a(a3)"}}, // a start at R:t1 would split the call from its result
		{1, conv, nil},
		{10, []types.Message{assistant("orphan"), user("q"), user("more"), wireCachePoint()}, []string{"u(q,more,x)"}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, shape(chat.Window(tc.msgs, tc.max))); diff != "" {
			t.Errorf("Window(max %d) (-want +got):\n%s", tc.max, diff)
		}
	}
}

func TestMemoryConversation(t *testing.T) {
	s := &script{answer: func(_ context.Context, n int, req *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return textAnswer("answer " + string(rune('0'+n))), nil
	}}
	c := newClient(t, start(t, s))
	mem := chat.NewWindowMemory(10)
	p := c.Prompt().System("You are a career counselor.").Memory(mem, "alice").
		Options(chat.Options{Model: sonnet, Cache: &chat.CacheOptions{Strategy: chat.CacheConversationHistory}})
	if _, err := p.User("I like maths.").Call(t.Context()); err != nil {
		t.Fatal(err)
	}
	for ch, err := range p.User("What career advice would you give me?").Stream(t.Context()) {
		if err != nil {
			t.Fatal(err)
		}
		_ = ch
	}
	if _, err := c.Prompt("Who am I?").Memory(mem, "bob").Call(t.Context()); err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	want := []string{"u(I like maths.)", "a(answer 1)", "u(What career advice would you give me?,cache)"}
	if diff := cmp.Diff(want, wireShape(reqs[1].Messages)); diff != "" {
		t.Errorf("second turn sent (-want +got):\n%s", diff)
	}
	if got := wireShape(reqs[2].Messages); len(got) != 1 {
		t.Errorf("another conversation saw %v", got)
	}
	h, _ := mem.Get(t.Context(), "alice")
	if diff := cmp.Diff([]string{"u(I like maths.)", "a(answer 1)", "u(What career advice would you give me?)", "a(answer 2)"}, shape(h)); diff != "" {
		t.Errorf("stored history (-want +got):\n%s", diff)
	}
	mem.Clear(t.Context(), "alice")
	if h, _ := mem.Get(t.Context(), "alice"); len(h) != 0 {
		t.Errorf("cleared history has %d messages", len(h))
	}
}

func wireShape(msgs []wire.Message) []string {
	var out []string
	for _, m := range msgs {
		var parts []string
		for _, c := range m.Content {
			switch {
			case c.Text != nil:
				parts = append(parts, *c.Text)
			case c.CachePoint != nil:
				parts = append(parts, "cache")
			}
		}
		out = append(out, string(m.Role[0])+"("+strings.Join(parts, ",")+")")
	}
	return out
}

func TestSettingsFromLookup(t *testing.T) {
	env := map[string]string{
		"CONVERSE_REGION":                         "eu-central-1",
		"CONVERSE_TIMEOUT":                        "10m",
		"CONVERSE_CONNECTION_TIMEOUT":             "2s",
		"CONVERSE_CONNECTION_ACQUISITION_TIMEOUT": "1m",
		"CONVERSE_ASYNC_READ_TIMEOUT":             "45s",
		"CONVERSE_ACCESS_KEY":                     "AKIDEXAMPLE",
		"CONVERSE_SECRET_KEY":                     "wJalrXUtnFEMI",
		"CONVERSE_PROFILE_NAME":                   "dev",
		"CONVERSE_ENDPOINT":                       "http://localhost:8080",
		"CONVERSE_CHAT_OPTIONS_TEMPERATURE":       "0.8",
		"CONVERSE_CHAT_OPTIONS_TOP_K":             "15",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	s, err := chat.SettingsFromLookup(lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := chat.Settings{Region: "eu-central-1", Timeout: 10 * time.Minute, ConnectionTimeout: 2 * time.Second, ConnectionAcquisitionTimeout: time.Minute, StreamReadTimeout: 45 * time.Second, AccessKey: "AKIDEXAMPLE", SecretKey: "wJalrXUtnFEMI", ProfileName: "dev", Endpoint: "http://localhost:8080"}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if str := s.String(); strings.Contains(str, "AKIDEXAMPLE") || strings.Contains(str, "wJalr") {
		t.Errorf("String leaks a secret: %s", str)
	}
	o, err := chat.OptionsFromLookup(lookup)
	if err != nil || *o.Temperature != 0.8 || *o.TopK != 15 || o.MaxTokens != nil {
		t.Errorf("options %+v, %v", o, err)
	}
	env["CONVERSE_TIMEOUT"] = "5 minutes"
	if _, err := chat.SettingsFromLookup(lookup); err == nil || !strings.Contains(err.Error(), "CONVERSE_TIMEOUT") {
		t.Errorf("bad duration: err %v", err)
	}
	// Defaults: what New fills in.
	c, err := chat.New(t.Context(), chat.WithSettings(chat.Settings{AccessKey: "a", SecretKey: "b"}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Settings()
	if got.Timeout != 5*time.Minute || got.ConnectionTimeout != 5*time.Second || got.ConnectionAcquisitionTimeout != 30*time.Second || got.StreamReadTimeout != 30*time.Second {
		t.Errorf("defaults %v", got)
	}
	if _, err := chat.New(t.Context(), chat.WithSettings(chat.Settings{AccessKey: "only"})); err == nil {
		t.Error("an access key without a secret key was accepted")
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
