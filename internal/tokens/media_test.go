package tokens

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	return img
}

func pngBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func gifBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, testImage(w, h), nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// webpBytes builds the header of a lossless WebP (RIFF, "VP8L" chunk,
// signature 0x2f, 14-bit width-1 and height-1, LSB first) as the WebP
// container specification lays it out. There is no WebP encoder in Go's
// libraries, and DecodeConfig reads no further than this.
func webpBytes(w, h int) []byte {
	chunk := []byte{0x2f, 0, 0, 0, 0, 0} // 5 bytes of header + 1 padding
	binary.LittleEndian.PutUint32(chunk[1:], uint32(w-1)|uint32(h-1)<<14)
	var b []byte
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(4+8+len(chunk)))
	b = append(b, "WEBPVP8L"...)
	b = binary.LittleEndian.AppendUint32(b, 5)
	return append(b, chunk...)
}

func TestImageTokens(t *testing.T) {
	tests := []struct {
		w, h, want int
	}{
		{0, 10, 0},
		{1, 1, 1}, // rounded up, at least one
		// Anthropic's worked examples ("Vision" guide): 200×200 ≈ 54,
		// 1000×1000 ≈ 1334, 1092×1092 ≈ 1590.
		{200, 200, 54},
		{1000, 1000, 1334},
		{1092, 1092, 1590},
		{750, 1, 1},
		{751, 1, 2},
		// Long edge 3136 → scaled by 1/2 to 1568×100: 156800/750 = 209.07.
		{3136, 200, 210},
		// 1568×784 is within the edge but 1639 tokens: capped at 1600.
		{1568, 784, 1600},
		{8000, 8000, 1600},
		{1 << 30, 1 << 30, 1600}, // no overflow on hostile headers
	}
	for _, tc := range tests {
		if got := ImageTokens(tc.w, tc.h); got != tc.want {
			t.Errorf("ImageTokens(%d, %d) = %d, want %d", tc.w, tc.h, got, tc.want)
		}
	}
}

func TestImageBlocks(t *testing.T) {
	c := newCounter(t)
	png := pngBytes(t, 100, 75)
	tests := []struct {
		name   string
		format wire.ImageFormat
		source *wire.ImageSource
		want   int
	}{
		// 100×75 = 7500 px / 750 = 10.
		{"png", wire.ImageFormatPng, &wire.ImageSource{Bytes: png}, 10},
		// 300×200 = 60000 / 750 = 80.
		{"jpeg", wire.ImageFormatJpeg, &wire.ImageSource{Bytes: jpegBytes(t, 300, 200)}, 80},
		// 30×25 = 750 / 750 = 1.
		{"gif", wire.ImageFormatGif, &wire.ImageSource{Bytes: gifBytes(t, 30, 25)}, 1},
		// 1500×1000 = 1.5 Mpx / 750 = 2000, capped at 1600... scaled first:
		// long edge 1500 ≤ 1568, so only the cap applies.
		{"webp", wire.ImageFormatWebp, &wire.ImageSource{Bytes: webpBytes(1500, 1000)}, 1600},
		// 150×150 = 22500 / 750 = 30.
		{"small webp", wire.ImageFormatWebp, &wire.ImageSource{Bytes: webpBytes(150, 150)}, 30},
		// The bytes decide, not the declared format.
		{"png declared as jpeg", wire.ImageFormatJpeg, &wire.ImageSource{Bytes: png}, 10},
		{"garbage", wire.ImageFormatPng, &wire.ImageSource{Bytes: []byte("not an image at all")}, imageUnknownTokens},
		{"truncated png", wire.ImageFormatPng, &wire.ImageSource{Bytes: png[:12]}, imageUnknownTokens},
		{"s3", wire.ImageFormatPng, &wire.ImageSource{S3Location: &wire.S3Location{URI: "s3://bucket/cat.png"}}, s3Tokens},
		{"no source", wire.ImageFormatPng, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := wire.ContentBlock{Image: &wire.ImageBlock{Format: tc.format, Source: tc.source}}
			if got := c.Content([]wire.ContentBlock{b}); got != tc.want {
				t.Errorf("image tokens = %d, want %d", got, tc.want)
			}
		})
	}

	// Guard content and tool results carry images too.
	guard := wire.ContentBlock{GuardContent: &wire.GuardrailConverseContentBlock{Image: &wire.GuardrailConverseImageBlock{
		Format: wire.GuardrailConverseImageFormatPng, Source: &wire.GuardrailConverseImageSource{Bytes: png},
	}}}
	if got := c.Content([]wire.ContentBlock{guard}); got != 10 {
		t.Errorf("guard image = %d, want 10", got)
	}
	result := wire.ContentBlock{ToolResult: &wire.ToolResultBlock{Content: []wire.ToolResultContentBlock{
		{Image: &wire.ImageBlock{Format: wire.ImageFormatPng, Source: &wire.ImageSource{Bytes: png}}},
	}}}
	if got, want := c.Content([]wire.ContentBlock{result}), blockOverhead+10; got != want {
		t.Errorf("tool result image = %d, want %d", got, want)
	}
}

func FuzzImageBytes(f *testing.F) {
	f.Add(pngBytes(f, 3, 2))
	f.Add(jpegBytes(f, 3, 2))
	f.Add(gifBytes(f, 3, 2))
	f.Add(webpBytes(3, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		if n := imageBytesTokens(data); n < 0 || n > imageMaxTokens || (len(data) > 0 && n == 0) {
			t.Errorf("imageBytesTokens = %d", n)
		}
	})
}

func TestDocumentsAndMedia(t *testing.T) {
	c := newCounter(t)
	// "x" is one token; blockOverhead + name frames every document.
	doc := func(f wire.DocumentFormat, s *wire.DocumentSource) wire.ContentBlock {
		return wire.ContentBlock{Document: &wire.DocumentBlock{Format: f, Name: "x", Source: s}}
	}
	docFrame := blockOverhead + 1
	s3 := &wire.S3Location{URI: "s3://bucket/key"}
	tests := []struct {
		name  string
		block wire.ContentBlock
		want  int
	}{
		{"txt bytes", doc(wire.DocumentFormatTxt, &wire.DocumentSource{Bytes: []byte("tiktoken is great!")}), docFrame + greatTokens},
		{"csv bytes", doc(wire.DocumentFormatCsv, &wire.DocumentSource{Bytes: []byte("tiktoken is great!")}), docFrame + greatTokens},
		{"html bytes", doc(wire.DocumentFormatHtml, &wire.DocumentSource{Bytes: []byte("It work!!!")}), docFrame + workTokens},
		{"text source", doc(wire.DocumentFormatPdf, &wire.DocumentSource{Text: wire.Ptr("It work!!!")}), docFrame + workTokens},
		{"content source", doc("", &wire.DocumentSource{Content: []wire.DocumentContentBlock{
			{Text: wire.Ptr("It work!!!")}, {Text: wire.Ptr("tiktoken is great!")},
		}}), docFrame + workTokens + greatTokens},
		{"no format, utf-8 bytes", doc("", &wire.DocumentSource{Bytes: []byte("It work!!!")}), docFrame + workTokens},
		// 8 bytes per token, rounded up: 8001 bytes → 1001.
		{"pdf bytes", doc(wire.DocumentFormatPdf, &wire.DocumentSource{Bytes: make([]byte, 8001)}), docFrame + 1001},
		{"docx bytes", doc(wire.DocumentFormatDocx, &wire.DocumentSource{Bytes: make([]byte, 80)}), docFrame + 10},
		{"no format, binary bytes", doc("", &wire.DocumentSource{Bytes: []byte{0xff, 0xfe, 0, 1, 2, 3, 4, 5, 6}}), docFrame + 2},
		{"s3 document", doc(wire.DocumentFormatPdf, &wire.DocumentSource{S3Location: s3}), docFrame + s3Tokens},
		{"context counts", wire.ContentBlock{Document: &wire.DocumentBlock{Name: "x", Context: "It work!!!"}}, docFrame + workTokens},
		// 475 bytes per token: 4750 → 10, 4751 → 11.
		{"video", wire.ContentBlock{Video: &wire.VideoBlock{Format: wire.VideoFormatMp4, Source: &wire.VideoSource{Bytes: make([]byte, 4750)}}}, 10},
		{"video+1", wire.ContentBlock{Video: &wire.VideoBlock{Format: wire.VideoFormatMp4, Source: &wire.VideoSource{Bytes: make([]byte, 4751)}}}, 11},
		{"video s3", wire.ContentBlock{Video: &wire.VideoBlock{Format: wire.VideoFormatMp4, Source: &wire.VideoSource{S3Location: s3}}}, s3Tokens},
		// 500 bytes per token: 16000 B (one second at 128 kbit/s) → 32.
		{"audio", wire.ContentBlock{Audio: &wire.AudioBlock{Format: wire.AudioFormatMp3, Source: &wire.AudioSource{Bytes: make([]byte, 16000)}}}, 32},
		{"audio s3", wire.ContentBlock{Audio: &wire.AudioBlock{Format: wire.AudioFormatMp3, Source: &wire.AudioSource{S3Location: s3}}}, s3Tokens},
		{"audio without source", wire.ContentBlock{Audio: &wire.AudioBlock{Format: wire.AudioFormatMp3}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Content([]wire.ContentBlock{tc.block}); got != tc.want {
				t.Errorf("tokens = %d, want %d", got, tc.want)
			}
		})
	}
}
