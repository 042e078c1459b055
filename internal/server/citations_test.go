package server_test

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/conversekit/converse/internal/sdktest"
)

// citation is what a test compares of one SDK citation.
type citation struct {
	Block        int // content block index
	Title, Quote string
	Kind         string // documentChar, documentPage, documentChunk
	Doc, Start   int32
	End          int32
	Text         string // the generated text it supports
}

func location(l types.CitationLocation) (kind string, doc, start, end int32) {
	switch v := l.(type) {
	case *types.CitationLocationMemberDocumentChar:
		return "documentChar", aws.ToInt32(v.Value.DocumentIndex), aws.ToInt32(v.Value.Start), aws.ToInt32(v.Value.End)
	case *types.CitationLocationMemberDocumentPage:
		return "documentPage", aws.ToInt32(v.Value.DocumentIndex), aws.ToInt32(v.Value.Start), aws.ToInt32(v.Value.End)
	case *types.CitationLocationMemberDocumentChunk:
		return "documentChunk", aws.ToInt32(v.Value.DocumentIndex), aws.ToInt32(v.Value.Start), aws.ToInt32(v.Value.End)
	}
	return "", 0, 0, 0
}

// citedRequest attaches four documents, three with citations enabled: a
// text document, a PDF and a document of content chunks; the second has
// citations off but still counts in documentIndex.
func citedRequest(enabled bool) []types.Message {
	pdf, _ := base64.StdEncoding.DecodeString("JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJhaWxlcgo8PC9Sb290IDEgMCBSPj4KJSVFT0YK")
	cite := &types.CitationsConfig{Enabled: aws.Bool(enabled)}
	doc := func(name string, format types.DocumentFormat, src types.DocumentSource, c *types.CitationsConfig) types.ContentBlock {
		return &types.ContentBlockMemberDocument{Value: types.DocumentBlock{Name: aws.String(name), Format: format, Source: src, Citations: c}}
	}
	return []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
		doc("Colours", types.DocumentFormatTxt, &types.DocumentSourceMemberText{Value: "Grass is green.\nThe sky over Köln is blue! Snow is white."}, cite),
		doc("Notes", types.DocumentFormatTxt, &types.DocumentSourceMemberText{Value: "The sky is a colour."}, nil),
		doc("Report", types.DocumentFormatPdf, &types.DocumentSourceMemberBytes{Value: pdf}, cite),
		doc("Chunks", "", &types.DocumentSourceMemberContent{Value: []types.DocumentContentBlock{
			&types.DocumentContentBlockMemberText{Value: "Roses are red."},
			&types.DocumentContentBlockMemberText{Value: "Sometimes the sky is grey."},
		}}, cite),
		&types.ContentBlockMemberText{Value: "What colour is the sky?"},
	}}}
}

// The citations the built-in model must give for citedRequest: the
// sentence about the sky with its code-point offsets ("ö" is one), the
// PDF's first page, the chunk about the sky.
var wantCitations = []citation{
	{Block: 1, Title: "Colours", Quote: "The sky over Köln is blue!", Kind: "documentChar", Doc: 0, Start: 16, End: 42, Text: "The sky over Köln is blue!"},
	{Block: 2, Title: "Report", Kind: "documentPage", Doc: 2, Start: 1, End: 2, Text: "(see page 1 of Report)"},
	{Block: 3, Title: "Chunks", Quote: "Sometimes the sky is grey.", Kind: "documentChunk", Doc: 3, Start: 1, End: 2, Text: "Sometimes the sky is grey."},
}

// The built-in model answers documents with citations enabled with
// citationsContent blocks, through the Go SDK: a quote of each document
// and where it is.
func TestBuiltinCitationsConverse(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet3), Messages: citedRequest(true)})
	if err != nil {
		t.Fatal(err)
	}
	content := messageOf(t, out).Content
	if _, ok := content[0].(*types.ContentBlockMemberText); !ok {
		t.Errorf("block 0 is %T, want the answer's text", content[0])
	}
	var got []citation
	for i, b := range content {
		cc, ok := b.(*types.ContentBlockMemberCitationsContent)
		if !ok {
			continue
		}
		if len(cc.Value.Content) != 1 || len(cc.Value.Citations) != 1 {
			t.Fatalf("block %d: %d contents, %d citations; want 1 and 1", i, len(cc.Value.Content), len(cc.Value.Citations))
		}
		c := cc.Value.Citations[0]
		g := citation{Block: i, Title: aws.ToString(c.Title), Text: cc.Value.Content[0].(*types.CitationGeneratedContentMemberText).Value}
		for _, sc := range c.SourceContent {
			g.Quote += sc.(*types.CitationSourceContentMemberText).Value
		}
		g.Kind, g.Doc, g.Start, g.End = location(c.Location)
		got = append(got, g)
	}
	if diff := cmp.Diff(wantCitations, got); diff != "" {
		t.Errorf("citations (-want +got):\n%s", diff)
	}
	// The offsets point at the quote in the document's text.
	text := []rune("Grass is green.\nThe sky over Köln is blue! Snow is white.")
	if len(got) == 0 || got[0].Kind != "documentChar" {
		t.Fatal("no documentChar citation")
	}
	if q := string(text[got[0].Start:got[0].End]); q != got[0].Quote {
		t.Errorf("text[%d:%d] = %q, quote %q", got[0].Start, got[0].End, q, got[0].Quote)
	}
	if out.StopReason != types.StopReasonEndTurn {
		t.Errorf("stop reason %s", out.StopReason)
	}

	// Without citations enabled, no block cites.
	out, err = client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(sonnet3), Messages: citedRequest(false)})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range messageOf(t, out).Content {
		if _, ok := b.(*types.ContentBlockMemberCitationsContent); ok {
			t.Errorf("block %d cites with citations disabled", i)
		}
	}
}

// ConverseStream sends each cited block as a citation delta followed by
// its text, on one content block index, and the same citations as
// Converse.
func TestBuiltinCitationsStream(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(sonnet3), Messages: citedRequest(true)})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	byBlock := map[int]*citation{}
	var order []int
	for ev := range stream.Events() {
		d, ok := ev.(*types.ConverseStreamOutputMemberContentBlockDelta)
		if !ok {
			continue
		}
		i := int(aws.ToInt32(d.Value.ContentBlockIndex))
		switch v := d.Value.Delta.(type) {
		case *types.ContentBlockDeltaMemberCitation:
			if byBlock[i] != nil {
				t.Errorf("block %d: a second citation delta, or one after its text", i)
			}
			c := &citation{Block: i, Title: aws.ToString(v.Value.Title)}
			for _, sc := range v.Value.SourceContent {
				c.Quote += aws.ToString(sc.Text)
			}
			c.Kind, c.Doc, c.Start, c.End = location(v.Value.Location)
			byBlock[i] = c
			order = append(order, i)
		case *types.ContentBlockDeltaMemberText:
			if c := byBlock[i]; c != nil {
				c.Text += v.Value
			} else if len(order) > 0 && i >= order[0] {
				t.Errorf("block %d: text without a citation after the cited blocks", i)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	var got []citation
	for _, i := range order {
		got = append(got, *byBlock[i])
	}
	if diff := cmp.Diff(wantCitations, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("streamed citations (-want +got):\n%s", diff)
	}
}
