package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// productJPEG stands in for the seed's product.jpg: a real JPEG of known
// size, made here so the test needs no binary fixture.
func productJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// analyzeImageWithText is the seed's analyze_image_with_text. verbatim
// keeps its bug: it base64-encodes the file itself and passes the text as
// bytes, which the SDK then encodes again.
func analyzeImageWithText(ctx context.Context, client *bedrockruntime.Client, file []byte, question string, verbatim bool) (string, error) {
	imageData := file
	if verbatim {
		imageData = []byte(base64.StdEncoding.EncodeToString(file))
	}
	messages := []types.Message{{
		Role: types.ConversationRoleUser,
		Content: []types.ContentBlock{
			&types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormatJpeg, Source: &types.ImageSourceMemberBytes{Value: imageData}}},
			&types.ContentBlockMemberText{Value: question},
		},
	}}
	response, err := client.Converse(ctx, &bedrockruntime.ConverseInput{
		ModelId: aws.String(sonnet3), Messages: messages, InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(500)},
	})
	if err != nil {
		return "", fmt.Errorf("分析失败: %w", err)
	}
	return response.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value, nil
}

// The seed's image analysis: with raw bytes the answer describes the real
// image (format, pixel size, byte count); as written (base64 text as bytes)
// Bedrock refuses it, and the message says to pass raw bytes.
func TestSeedImageAnalysis(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	file := productJPEG(t, 120, 80)
	result, err := analyzeImageWithText(t.Context(), client, file, "描述这张图片中的产品特点", false)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("You attached a JPEG image of 120×80 pixels (%d bytes).", len(file))
	if !strings.Contains(result, want) || !strings.Contains(result, "这张图片中的产品特点") {
		t.Errorf("answer lacks %q and the question's topic:\n%s", want, result)
	}

	_, err = analyzeImageWithText(t.Context(), client, file, "描述这张图片中的产品特点", true)
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("verbatim seed got %v, want a ValidationException", err)
	}
	for _, s := range []string{"look base64-encoded twice", "Pass the raw file bytes"} {
		if !strings.Contains(ve.ErrorMessage(), s) {
			t.Errorf("message lacks %q: %s", s, ve.ErrorMessage())
		}
	}
}

// Documents are described from their bytes too: name, format, size and
// the page count of a PDF.
func TestDocumentDescription(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Pages /Count 3 >> endobj\n2 0 obj << /Type /Page >> endobj\n3 0 obj << /Type /Page >> endobj\n4 0 obj << /Type /Page >> endobj\n%%EOF\n")
	out, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{
		ModelId: aws.String(sonnet3),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
			&types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormatPdf, Name: aws.String("Quarterly report"), Source: &types.DocumentSourceMemberBytes{Value: pdf}}},
			&types.ContentBlockMemberText{Value: "Summarise this report"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`You attached a PDF document named "Quarterly report" (%d bytes, 3 pages).`, len(pdf))
	if got := textOf(t, out); !strings.Contains(got, want) {
		t.Errorf("answer lacks %q:\n%s", want, got)
	}
}
