package builtin

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/wire"
)

func encodePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// twoPagePDF has two page objects and a /Pages tree, which must not count.
const twoPagePDF = "%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type/Page >> endobj\n%%EOF\n"

func TestMediaDescriptionsFromBytes(t *testing.T) {
	pngBytes := encodePNG(t, 37, 21)
	jpegBytes := encodeJPEG(t, 64, 48)
	mp4 := append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"), make([]byte, 100)...)
	cases := []struct {
		name    string
		content []wire.ContentBlock
		want    string
	}{
		{
			name:    "png",
			content: []wire.ContentBlock{{Image: &wire.ImageBlock{Format: "png", Source: &wire.ImageSource{Bytes: pngBytes}}}},
			want:    "You attached a PNG image of 37×21 pixels (" + strconv.Itoa(len(pngBytes)) + " bytes).",
		},
		{
			name: "jpeg and pdf",
			content: []wire.ContentBlock{
				{Image: &wire.ImageBlock{Format: "jpeg", Source: &wire.ImageSource{Bytes: jpegBytes}}},
				{Document: &wire.DocumentBlock{Format: "pdf", Name: "spec", Source: &wire.DocumentSource{Bytes: []byte(twoPagePDF)}}},
			},
			want: "You attached a JPEG image of 64×48 pixels (" + strconv.Itoa(len(jpegBytes)) + ` bytes) and a PDF document named "spec" (` + strconv.Itoa(len(twoPagePDF)) + " bytes, 2 pages).",
		},
		{
			name:    "text document",
			content: []wire.ContentBlock{{Document: &wire.DocumentBlock{Format: "md", Name: "notes", Source: &wire.DocumentSource{Text: wire.Ptr("héllo")}}}},
			want:    `You attached an MD document named "notes" (5 characters).`,
		},
		{
			name:    "video",
			content: []wire.ContentBlock{{Video: &wire.VideoBlock{Format: "mp4", Source: &wire.VideoSource{Bytes: mp4}}}},
			want:    "You attached an MP4 video of 116 bytes.",
		},
		{
			name:    "s3 image",
			content: []wire.ContentBlock{{Image: &wire.ImageBlock{Format: "png", Source: &wire.ImageSource{S3Location: &wire.S3Location{URI: "s3://b/k.png"}}}}},
			want:    "You attached a PNG image stored at s3://b/k.png, which I cannot open.",
		},
	}
	m := newModel(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			content := append(tc.content, wire.ContentBlock{Text: wire.Ptr("What is this?")})
			req := &wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: content}}}
			out, err := m.Converse(t.Context(), &provider.Call{ModelID: "m", Request: req})
			if err != nil {
				t.Fatal(err)
			}
			text := *out.Output.Message.Content[0].Text
			if !strings.Contains(text, tc.want) {
				t.Errorf("answer lacks %q:\n%s", tc.want, text)
			}
		})
	}
}

// Only the last user turn's attachments are described: earlier ones were
// answered already.
func TestMediaDescriptionOnlyLastTurn(t *testing.T) {
	req := &wire.ConverseRequest{Messages: []wire.Message{
		{Role: "user", Content: []wire.ContentBlock{{Image: &wire.ImageBlock{Format: "png", Source: &wire.ImageSource{Bytes: encodePNG(t, 2, 2)}}}, {Text: wire.Ptr("what?")}}},
		{Role: "assistant", Content: []wire.ContentBlock{{Text: wire.Ptr("an image")}}},
		{Role: "user", Content: []wire.ContentBlock{{Text: wire.Ptr("thanks")}}},
	}}
	if got := answerText(req); strings.Contains(got, "attached") {
		t.Errorf("describes an earlier turn's image: %s", got)
	}
}

func TestArticle(t *testing.T) {
	for in, want := range map[string]string{"PNG": "a PNG", "JPEG": "a JPEG", "MP4": "an MP4", "HTML": "an HTML", "XLSX": "an XLSX", "text": "a text", "image": "an image"} {
		if got := article(in); got != want {
			t.Errorf("article(%q) = %q, want %q", in, got, want)
		}
	}
}
