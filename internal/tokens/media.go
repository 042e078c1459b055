package tokens

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"unicode/utf8"

	"golang.org/x/image/webp"

	"github.com/conversekit/converse/internal/wire"
)

// Media estimates. Only images have a published rule; the rest are
// documented guesses that are deterministic and scale with the payload.
const (
	// imagePixelsPerToken is Anthropic's published estimate for images
	// ("Vision" guide): tokens = width × height / 750.
	imagePixelsPerToken = 750
	// imageMaxEdge and imageMaxTokens: Anthropic scales an image down,
	// keeping its aspect ratio, when its long edge exceeds 1568 px or it
	// would cost more than about 1,600 tokens, so no image costs more.
	imageMaxEdge   = 1568
	imageMaxTokens = 1600
	// imageUnknownTokens is charged for image bytes whose dimensions cannot
	// be read: the most a single image can cost, so that budgets and cache
	// thresholds err on the safe side.
	imageUnknownTokens = imageMaxTokens

	// s3Tokens is charged for any source given as an S3 location (image,
	// document, video, audio): we do not fetch the object, so it costs like
	// one full-size image.
	s3Tokens = imageMaxTokens

	// documentBytesPerToken estimates binary documents (pdf, doc, docx, xls,
	// xlsx) from their size. Anthropic reads a PDF as text plus an image of
	// each page, 1,500–3,000 tokens per page by its documentation; a typical
	// text page of a PDF weighs 10–25 KB, so 8 bytes per token lands in that
	// range. Office files are zipped XML of similar density.
	documentBytesPerToken = 8

	// videoBytesPerToken and audioBytesPerToken turn a payload's size into a
	// duration and the duration into tokens. Rates are Google's published
	// Gemini figures (video 263 tokens/s, audio 32 tokens/s; Bedrock's
	// models publish none); bitrates are typical ones we assume: video at
	// 1 Mbit/s (125,000 B/s ÷ 263 ≈ 475 B/token), audio at 128 kbit/s
	// (16,000 B/s ÷ 32 = 500 B/token).
	videoBytesPerToken = 475
	audioBytesPerToken = 500
)

func (c *Counter) image(b *wire.ImageBlock) int {
	switch {
	case b.Source == nil:
		return 0 // an error-only block in a response
	case b.Source.S3Location != nil:
		return s3Tokens
	}
	return imageBytesTokens(b.Source.Bytes)
}

// imageBytesTokens estimates an image from its header alone: the dimensions
// are read with the format's DecodeConfig, never by decoding pixels. The
// format is sniffed from the bytes rather than taken from the block's format
// field, and the four decoders are called directly rather than through
// image.DecodeConfig, so a decoder registered elsewhere in the process
// cannot change a count.
func imageBytesTokens(data []byte) int {
	if len(data) == 0 {
		return 0
	}
	cfg, ok := imageConfig(data)
	if !ok {
		return imageUnknownTokens
	}
	return ImageTokens(cfg.Width, cfg.Height)
}

func imageConfig(data []byte) (image.Config, bool) {
	var decode func(io.Reader) (image.Config, error)
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		decode = png.DecodeConfig
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		decode = jpeg.DecodeConfig
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		decode = gif.DecodeConfig
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		decode = webp.DecodeConfig
	default:
		return image.Config{}, false
	}
	cfg, err := decode(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, false
	}
	return cfg, true
}

// ImageTokens is the estimate for an image of the given size in pixels:
// scaled down to a long edge of at most 1568 px, then width × height / 750
// rounded up, at least 1 and at most 1600.
func ImageTokens(width, height int) int {
	if width <= 0 || height <= 0 {
		return 0
	}
	w, h := float64(width), float64(height)
	if long := math.Max(w, h); long > imageMaxEdge {
		scale := imageMaxEdge / long
		w, h = math.Max(1, math.Round(w*scale)), math.Max(1, math.Round(h*scale))
	}
	n := int(math.Ceil(w * h / imagePixelsPerToken))
	return min(max(n, 1), imageMaxTokens)
}

func (c *Counter) document(d *wire.DocumentBlock) int {
	n := blockOverhead + c.Text(d.Name) + c.Text(d.Context)
	s := d.Source
	switch {
	case s == nil:
	case s.Text != nil:
		n += c.Text(*s.Text)
	case s.Content != nil:
		for _, b := range s.Content {
			if b.Text != nil {
				n += c.Text(*b.Text)
			}
		}
	case s.S3Location != nil:
		n += s3Tokens
	case isTextDocument(d.Format), d.Format == "" && utf8.Valid(s.Bytes):
		// No format and valid UTF-8: the bytes are most likely text.
		n += c.Text(string(s.Bytes))
	default:
		n += ceilDiv(len(s.Bytes), documentBytesPerToken)
	}
	return n
}

// isTextDocument reports whether a document format is plain text that the
// model reads as is (and so is tokenised rather than estimated).
func isTextDocument(f wire.DocumentFormat) bool {
	switch f {
	case wire.DocumentFormatTxt, wire.DocumentFormatMd, wire.DocumentFormatCsv, wire.DocumentFormatHtml:
		return true
	}
	return false
}

func (c *Counter) video(v *wire.VideoBlock) int {
	switch {
	case v.Source == nil:
		return 0
	case v.Source.S3Location != nil:
		return s3Tokens
	}
	return ceilDiv(len(v.Source.Bytes), videoBytesPerToken)
}

func (c *Counter) audio(a *wire.AudioBlock) int {
	switch {
	case a.Source == nil:
		return 0
	case a.Source.S3Location != nil:
		return s3Tokens
	}
	return ceilDiv(len(a.Source.Bytes), audioBytesPerToken)
}
