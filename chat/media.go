package chat

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// Media is an image, video, document or guarded text attached to a user
// message. Build one with [Image], [Video], [VideoS3], [Document],
// [DocumentReader], [Reader], [File] or [GuardText]; a Media that could not
// be built carries its error, which Call or Stream returns before sending
// anything.
type Media struct {
	block types.ContentBlock
	err   error
}

// Err reports why the media could not be built.
func (m Media) Err() error { return m.err }

// Block is the Converse content block the media becomes.
func (m Media) Block() types.ContentBlock { return m.block }

// maxMediaBytes bounds what is read from a file or reader: Bedrock's
// largest inline attachment (video) is 25 MB.
const maxMediaBytes = 25 << 20

// Image attaches an image; the format (png, jpeg, gif, webp) is sniffed.
func Image(data []byte) Media {
	f, ok := sniffImage(data)
	if !ok {
		return Media{err: fmt.Errorf("chat: image is not png, jpeg, gif or webp")}
	}
	return Media{block: &types.ContentBlockMemberImage{Value: types.ImageBlock{
		Format: f, Source: &types.ImageSourceMemberBytes{Value: data},
	}}}
}

// Video attaches a video; the format (mkv, mov, mp4, webm, flv, mpeg, wmv,
// 3gp) is sniffed.
func Video(data []byte) Media {
	f, ok := sniffVideo(data)
	if !ok {
		return Media{err: fmt.Errorf("chat: video is not mkv, mov, mp4, webm, flv, mpeg, wmv or 3gp")}
	}
	return Media{block: &types.ContentBlockMemberVideo{Value: types.VideoBlock{
		Format: f, Source: &types.VideoSourceMemberBytes{Value: data},
	}}}
}

// VideoS3 attaches a video stored in S3 (s3://bucket/key); the format comes
// from the key's extension. bucketOwner may be empty.
func VideoS3(uri, bucketOwner string) Media {
	if !strings.HasPrefix(uri, "s3://") {
		return Media{err: fmt.Errorf("chat: video URI %q: want s3://bucket/key", uri)}
	}
	f, ok := videoExt[strings.ToLower(strings.TrimPrefix(path.Ext(uri), "."))]
	if !ok {
		return Media{err: fmt.Errorf("chat: video URI %q: unknown extension", uri)}
	}
	loc := types.S3Location{Uri: aws.String(uri)}
	if bucketOwner != "" {
		loc.BucketOwner = aws.String(bucketOwner)
	}
	return Media{block: &types.ContentBlockMemberVideo{Value: types.VideoBlock{
		Format: f, Source: &types.VideoSourceMemberS3Location{Value: loc},
	}}}
}

// Document attaches a document. The format is sniffed for pdf, docx, xlsx
// and html; the name's extension decides between doc and xls, and for
// csv, md and txt (the default for text). The name is sanitised to what
// Bedrock accepts.
func Document(name string, data []byte) Media {
	f, ok := sniffDocument(name, data)
	if !ok {
		return Media{err: fmt.Errorf("chat: document %q is not pdf, csv, doc, docx, xls, xlsx, html, txt or md", name)}
	}
	return Media{block: &types.ContentBlockMemberDocument{Value: types.DocumentBlock{
		Name: aws.String(DocumentName(name)), Format: f, Source: &types.DocumentSourceMemberBytes{Value: data},
	}}}
}

// DocumentReader attaches a document read from r (at most 25 MB).
func DocumentReader(name string, r io.Reader) Media {
	data, err := readBounded(r)
	if err != nil {
		return Media{err: fmt.Errorf("chat: document %q: %w", name, err)}
	}
	return Document(name, data)
}

// File attaches a file as an image, video or document, by its content and
// extension.
func File(name string) Media {
	f, err := os.Open(name)
	if err != nil {
		return Media{err: fmt.Errorf("chat: %w", err)}
	}
	defer f.Close()
	return Reader(filepath.Base(name), f)
}

// Reader attaches what r holds (at most 25 MB) as an image, video or
// document, by its content and name, as [File] does; name is the
// document's name when it is one.
func Reader(name string, r io.Reader) Media {
	data, err := readBounded(r)
	if err != nil {
		return Media{err: fmt.Errorf("chat: %s: %w", name, err)}
	}
	if _, ok := sniffImage(data); ok {
		return Image(data)
	}
	if _, ok := sniffVideo(data); ok {
		return Video(data)
	}
	return Document(name, data)
}

func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxMediaBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxMediaBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxMediaBytes)
	}
	return data, nil
}

func sniffImage(b []byte) (types.ImageFormat, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return types.ImageFormatPng, true
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return types.ImageFormatJpeg, true
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return types.ImageFormatGif, true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return types.ImageFormatWebp, true
	}
	return "", false
}

var videoExt = map[string]types.VideoFormat{
	"mkv": types.VideoFormatMkv, "mov": types.VideoFormatMov, "mp4": types.VideoFormatMp4,
	"webm": types.VideoFormatWebm, "flv": types.VideoFormatFlv, "mpeg": types.VideoFormatMpeg,
	"mpg": types.VideoFormatMpg, "wmv": types.VideoFormatWmv, "3gp": types.VideoFormatThreeGp,
}

func sniffVideo(b []byte) (types.VideoFormat, bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		// EBML: the DocType element names the flavour near the start.
		head := b[:min(len(b), 64)]
		if bytes.Contains(head, []byte("webm")) {
			return types.VideoFormatWebm, true
		}
		return types.VideoFormatMkv, true
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		brand := string(b[8:12])
		switch {
		case brand == "qt  ":
			return types.VideoFormatMov, true
		case strings.HasPrefix(brand, "3g"):
			return types.VideoFormatThreeGp, true
		}
		return types.VideoFormatMp4, true
	case bytes.HasPrefix(b, []byte("FLV\x01")):
		return types.VideoFormatFlv, true
	case bytes.HasPrefix(b, []byte{0, 0, 1, 0xBA}), bytes.HasPrefix(b, []byte{0, 0, 1, 0xB3}):
		return types.VideoFormatMpeg, true
	case bytes.HasPrefix(b, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}):
		return types.VideoFormatWmv, true
	}
	return "", false
}

func sniffDocument(name string, b []byte) (types.DocumentFormat, bool) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return types.DocumentFormatPdf, true
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return "", false
		}
		for _, f := range zr.File {
			switch {
			case strings.HasPrefix(f.Name, "word/"):
				return types.DocumentFormatDocx, true
			case strings.HasPrefix(f.Name, "xl/"):
				return types.DocumentFormatXlsx, true
			}
		}
		return "", false
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		// OLE compound file: Word and Excel look alike; trust the name.
		if ext == "xls" {
			return types.DocumentFormatXls, true
		}
		return types.DocumentFormatDoc, true
	}
	if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		return "", false // binary, and none of the above
	}
	head := strings.ToLower(strings.TrimSpace(string(b[:min(len(b), 512)])))
	switch {
	case ext == "html" || ext == "htm" || strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html"):
		return types.DocumentFormatHtml, true
	case ext == "csv":
		return types.DocumentFormatCsv, true
	case ext == "md" || ext == "markdown":
		return types.DocumentFormatMd, true
	}
	return types.DocumentFormatTxt, true
}

var (
	nameBad   = regexp.MustCompile(`[^a-zA-Z0-9\s\-()\[\]]+`)
	nameSpace = regexp.MustCompile(`\s+`)
)

// DocumentName sanitises a document name for Bedrock, which accepts only
// letters, digits, single spaces, hyphens, parentheses and square
// brackets: the extension is dropped, other characters become hyphens.
func DocumentName(name string) string {
	name = strings.TrimSuffix(name, path.Ext(name))
	name = nameBad.ReplaceAllString(name, "-")
	name = strings.TrimSpace(nameSpace.ReplaceAllString(name, " "))
	if len(name) > 200 {
		name = strings.TrimSpace(name[:200])
	}
	if name == "" {
		return "document"
	}
	return name
}
