package chat_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

// seedMessages is a history with every block kind the codec keeps.
func seedMessages() []types.Message {
	return []types.Message{
		{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberText{Value: "What is in these?"},
			&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatPng, Source: &types.ImageSourceMemberBytes{Value: []byte("\x89PNG\r\n\x1a\n")}}},
			&types.ContentBlockMemberVideo{Value: types.VideoBlock{Format: types.VideoFormatMp4, Source: &types.VideoSourceMemberS3Location{Value: types.S3Location{Uri: aws.String("s3://b/k.mp4"), BucketOwner: aws.String("111122223333")}}}},
			&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatTxt, Name: aws.String("notes"), Source: &types.DocumentSourceMemberBytes{Value: []byte("hello")}}},
		}},
		{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
			&types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: types.ReasoningTextBlock{Text: aws.String("think"), Signature: aws.String("sig")}}},
			&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("t1"), Name: aws.String("weather"), Input: document.NewLazyDocument(map[string]any{"city": "Paris", "days": 3})}},
		}},
		{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("t1"), Status: types.ToolResultStatusError, Content: []types.ToolResultContentBlock{
				&types.ToolResultContentBlockMemberText{Value: "no"},
				&types.ToolResultContentBlockMemberJson{Value: document.NewLazyDocument([]any{1.5, "x", nil, true})},
			}}},
		}},
	}
}

// FuzzUnmarshalMessages: any bytes decode or fail without panicking, and
// whatever decodes survives a round trip through the codec unchanged.
func FuzzUnmarshalMessages(f *testing.F) {
	seed, err := chat.MarshalMessages(seedMessages())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	for _, s := range []string{
		`[]`, `null`, `[{}]`, `[{"role":"user","content":[{}]}]`,
		`[{"role":"user","content":[{"toolUse":{"toolUseId":"a","name":"b"}}]}]`,
		`[{"role":"user","content":[{"toolResult":{"toolUseId":"a","content":[{}]}}]}]`,
		`[{"role":"assistant","content":[{"reasoningContent":{"redactedContent":"AAE="}}]}]`,
		`[{"role":"user","content":[{"video":{"format":"mkv","source":{"bytes":""}}}]}]`,
		`[{"role":"user","content":[{"toolUse":{"toolUseId":"a","name":"b","input":{"n":1e400}}}]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := chat.UnmarshalMessages(data)
		if err != nil {
			return
		}
		first, err := chat.MarshalMessages(msgs)
		if err != nil {
			t.Fatalf("marshal what was unmarshalled: %v", err)
		}
		again, err := chat.UnmarshalMessages(first)
		if err != nil {
			t.Fatalf("unmarshal what was marshalled: %v\n%s", err, first)
		}
		second, err := chat.MarshalMessages(again)
		if err != nil {
			t.Fatalf("marshal again: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("round trip changed the messages:\n%s\n%s", first, second)
		}
	})
}

// FuzzMedia: sniffing never panics, what it accepts carries a format, and
// a document's name always passes the server's rule for document names.
func FuzzMedia(f *testing.F) {
	for _, s := range []struct {
		name string
		data string
	}{
		{"report.pdf", "%PDF-1.7\n"},
		{"notes.md", "# title\n"},
		{"table.csv", "a,b\n1,2\n"},
		{"page.htm", "<!DOCTYPE html><html></html>"},
		{"old.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"},
		{"Quarterly  report (final)\t[v2].docx", "PK\x03\x04"},
		{"日本語のファイル.txt", "text"},
		{"..", ""},
		{" \t\n ", "x"},
		{"a\x00b\xff.c", "\x00"},
		{"clip", "\x1A\x45\xDF\xA3webm"},
		{"movie", "\x00\x00\x00\x18ftypqt  "},
		{"pic", "RIFF\x00\x00\x00\x00WEBPVP8 "},
	} {
		f.Add(s.name, []byte(s.data))
	}
	if png, err := os.ReadFile(filepath.Join("testdata", "test.png")); err == nil {
		f.Add("test.png", png)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if n := chat.DocumentName(name); n == "" || !wire.ValidDocumentName(n) {
			t.Fatalf("DocumentName(%q) = %q, which Bedrock rejects", name, n)
		}
		for _, m := range []chat.Media{chat.Image(data), chat.Video(data), chat.Document(name, data), chat.DocumentReader(name, bytes.NewReader(data)), chat.Reader(name, bytes.NewReader(data))} {
			if (m.Err() == nil) == (m.Block() == nil) {
				t.Fatalf("media with error %v and block %v", m.Err(), m.Block())
			}
			switch b := m.Block().(type) {
			case *types.ContentBlockMemberImage:
				if b.Value.Format == "" {
					t.Fatal("image without format")
				}
			case *types.ContentBlockMemberVideo:
				if b.Value.Format == "" {
					t.Fatal("video without format")
				}
			case *types.ContentBlockMemberDocument:
				if b.Value.Format == "" || !wire.ValidDocumentName(aws.ToString(b.Value.Name)) {
					t.Fatalf("document format %q name %q", b.Value.Format, aws.ToString(b.Value.Name))
				}
			}
		}
	})
}
