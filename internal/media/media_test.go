package media

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

func encode(t testing.TB, format string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&buf, img)
	case "jpeg":
		err = jpeg.Encode(&buf, img, nil)
	case "gif":
		err = gif.Encode(&buf, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSniffAndSize(t *testing.T) {
	for _, f := range []string{"png", "jpeg", "gif"} {
		b := encode(t, f, 3, 2)
		if got := Sniff(b); got != f {
			t.Errorf("Sniff(%s) = %q", f, got)
		}
		w, h, _, err := ImageSize(b)
		if err != nil || w != 3 || h != 2 {
			t.Errorf("%s: %dx%d %v", f, w, h, err)
		}
	}
	webp := []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")
	if Sniff(webp) != "webp" {
		t.Error("webp not sniffed")
	}
	if Sniff([]byte("%PDF-1.7")) != "pdf" || Sniff([]byte("hello")) != "" {
		t.Error("pdf/unknown")
	}
}

func TestLooksBase64(t *testing.T) {
	raw := encode(t, "png", 1, 1)
	twice := []byte(base64.StdEncoding.EncodeToString(raw))
	if !LooksBase64(twice, "png") {
		t.Error("base64 text of a PNG not detected")
	}
	if LooksBase64(raw, "png") || LooksBase64([]byte("aGVsbG8gd29ybGQgaGVsbG8="), "png") {
		t.Error("false positive")
	}
}

func TestPDFPages(t *testing.T) {
	b := []byte("%PDF-1.4 <</Type /Pages /Count 2>> <</Type /Page>> <</Type/Page>>")
	if got := PDFPages(b); got != 2 {
		t.Errorf("PDFPages = %d, want 2", got)
	}
}

func TestCheck(t *testing.T) {
	msg := func(b wire.ContentBlock) *wire.ConverseRequest {
		return &wire.ConverseRequest{Messages: []wire.Message{{Role: "user", Content: []wire.ContentBlock{b, {Text: wire.Ptr("x")}}}}}
	}
	img := func(f string, b []byte) wire.ContentBlock {
		return wire.ContentBlock{Image: &wire.ImageBlock{Format: wire.ImageFormat(f), Source: &wire.ImageSource{Bytes: b}}}
	}
	if err := Check(msg(img("png", encode(t, "png", 2, 2)))); err != nil {
		t.Errorf("valid png: %v", err)
	}
	for _, tc := range []struct {
		req  *wire.ConverseRequest
		want string
	}{
		{msg(img("jpeg", encode(t, "png", 2, 2))), `not the declared format "jpeg"`},
		{msg(img("png", []byte(base64.StdEncoding.EncodeToString(encode(t, "png", 2, 2))))), "base64-encoded twice"},
		{msg(img("png", encode(t, "png", 8001, 1))), "8001x1 pixels"},
		{msg(wire.ContentBlock{Document: &wire.DocumentBlock{Format: "pdf", Name: "a", Source: &wire.DocumentSource{Bytes: []byte("plain")}}}), "not the declared format"},
	} {
		err := Check(tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Add([]byte("%PDF-1.4 /Type /Page"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Sniff(b)
		_ = LooksBase64(b, "png")
		_ = PDFPages(b)
		if s == "png" || s == "jpeg" || s == "gif" || s == "webp" {
			_, _, _, _ = ImageSize(b)
		}
	})
}
