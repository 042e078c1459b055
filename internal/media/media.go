// Package media checks that attached bytes are what they claim to be —
// format signatures, image dimensions (image.DecodeConfig only, never a full
// decode), a PDF page estimate — with bounded work per attachment.
package media

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF for DecodeConfig
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG

	_ "golang.org/x/image/webp" // registers WEBP

	"github.com/conversekit/converse/internal/wire"
)

// Sniff names the format the bytes' signature shows ("png", "jpeg", "gif",
// "webp", "pdf", "mp4", "mov", "webm", "mkv", "flv", "mpeg", "wmv",
// "three_gp", "wav", "mp3", "ogg", "flac", "docx"/"xlsx" (zip), "doc"/"xls"
// (OLE)), or "" when none matches.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return "wav"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "pdf"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "qt  ":
			return "mov"
		case "3gp4", "3gp5", "3gp6", "3g2a":
			return "three_gp"
		}
		return "mp4"
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		if bytes.Contains(b[:min(len(b), 64)], []byte("webm")) {
			return "webm"
		}
		return "mkv"
	case bytes.HasPrefix(b, []byte("FLV")):
		return "flv"
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x01, 0xBA}), bytes.HasPrefix(b, []byte{0x00, 0x00, 0x01, 0xB3}):
		return "mpeg"
	case bytes.HasPrefix(b, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}):
		return "wmv"
	case bytes.HasPrefix(b, []byte("ID3")), len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		return "mp3"
	case bytes.HasPrefix(b, []byte("OggS")):
		return "ogg"
	case bytes.HasPrefix(b, []byte("fLaC")):
		return "flac"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "zip"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "ole"
	}
	return ""
}

// matches says whether sniffed bytes fit a declared format. Formats without
// a reliable signature (text documents, raw audio) always match.
func matches(declared, sniffed string) bool {
	switch declared {
	case "png", "jpeg", "gif", "webp", "pdf", "flv", "wmv", "wav", "flac":
		return sniffed == declared
	case "mp4", "mov", "three_gp":
		return sniffed == "mp4" || sniffed == "mov" || sniffed == "three_gp"
	case "mkv", "webm", "mka":
		return sniffed == "mkv" || sniffed == "webm"
	case "mpeg", "mpg":
		return sniffed == "mpeg" || sniffed == "mp3"
	case "docx", "xlsx":
		return sniffed == "zip"
	case "doc", "xls":
		return sniffed == "ole"
	case "mp3", "mpga":
		return sniffed == "mp3"
	case "ogg", "opus":
		return sniffed == "ogg"
	}
	return true
}

// LooksBase64 reports whether b is base64 text of bytes whose signature is
// the declared format: the client encoded the file itself and the SDK
// encoded it again. Only a prefix is decoded (bounded work).
func LooksBase64(b []byte, declared string) bool {
	n := min(len(b), 64)
	n -= n % 4
	if n < 8 {
		return false
	}
	dec := make([]byte, base64.StdEncoding.DecodedLen(n))
	m, err := base64.StdEncoding.Decode(dec, b[:n])
	if err != nil {
		return false
	}
	s := Sniff(dec[:m])
	return s != "" && matches(declared, s)
}

// ImageSize reads an image's width and height from its header.
func ImageSize(b []byte) (w, h int, format string, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return 0, 0, "", fmt.Errorf("read image header: %w", err)
	}
	return cfg.Width, cfg.Height, format, nil
}

// PDFPages estimates the page count by counting "/Type /Page" objects (not
// "/Pages"); bounded by the document size limit the caller enforces.
func PDFPages(b []byte) int {
	n := 0
	for _, pat := range [][]byte{[]byte("/Type /Page"), []byte("/Type/Page")} {
		rest := b
		for {
			i := bytes.Index(rest, pat)
			if i < 0 {
				break
			}
			rest = rest[i+len(pat):]
			if len(rest) > 0 && rest[0] == 's' {
				continue
			}
			n++
		}
	}
	return n
}

func invalid(format string, args ...any) error {
	return wire.Errorf(wire.ValidationException, format, args...)
}

// Check verifies every inline attachment of a Converse request (message
// content and tool results): declared format against the bytes, bytes
// encoded twice, image dimensions (at most wire.MaxImagePixels a side, per
// the API model's documentation of Message.content).
func Check(req *wire.ConverseRequest) error {
	for i, m := range req.Messages {
		for j, b := range m.Content {
			path := fmt.Sprintf("messages.%d.content.%d", i, j)
			if err := checkBlock(path, b.Image, b.Document, b.Video, b.Audio); err != nil {
				return err
			}
			if b.ToolResult != nil {
				for k, rb := range b.ToolResult.Content {
					if err := checkBlock(fmt.Sprintf("%s.toolResult.content.%d", path, k), rb.Image, rb.Document, rb.Video, nil); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func checkBlock(path string, img *wire.ImageBlock, doc *wire.DocumentBlock, vid *wire.VideoBlock, aud *wire.AudioBlock) error {
	switch {
	case img != nil && img.Source != nil && len(img.Source.Bytes) > 0:
		return checkImage(path+".image", string(img.Format), img.Source.Bytes)
	case doc != nil && doc.Source != nil && len(doc.Source.Bytes) > 0:
		return checkBytes(path+".document", string(doc.Format), doc.Source.Bytes)
	case vid != nil && vid.Source != nil && len(vid.Source.Bytes) > 0:
		return checkBytes(path+".video", string(vid.Format), vid.Source.Bytes)
	case aud != nil && aud.Source != nil && len(aud.Source.Bytes) > 0:
		return checkBytes(path+".audio", string(aud.Format), aud.Source.Bytes)
	}
	return nil
}

func checkBytes(path, format string, b []byte) error {
	if LooksBase64(b, format) {
		return invalid("The bytes at %s.source.bytes look base64-encoded twice: they are base64 text of a %s file. Pass the raw file bytes; the AWS SDK base64-encodes them for you (in Python, open(path, \"rb\").read() without base64.b64encode).", path, format)
	}
	if s := Sniff(b); !matches(format, s) {
		got := s
		if got == "" {
			got = "an unrecognised format"
		}
		return invalid("The bytes at %s.source.bytes are %s, not the declared format %q. Set format to match the file, or send a %s file.", path, got, format, format)
	}
	return nil
}

func checkImage(path, format string, b []byte) error {
	if err := checkBytes(path, format, b); err != nil {
		return err
	}
	w, h, _, err := ImageSize(b)
	if err != nil {
		return invalid("The image at %s.source.bytes could not be read as %s: its header is damaged. Send an intact image.", path, format)
	}
	if w > wire.MaxImagePixels || h > wire.MaxImagePixels {
		return invalid("The image at %s is %dx%d pixels; width and height can be at most %d pixels. Resize it and try again.", path, w, h, wire.MaxImagePixels)
	}
	return nil
}
