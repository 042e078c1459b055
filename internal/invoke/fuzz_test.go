package invoke

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

// FuzzDecodeMessages: any body is either refused with a
// ValidationException or decodes to a request whose Converse equivalent
// (when it has one) encodes, and whose answers encode.
func FuzzDecodeMessages(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.messages.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA=="}}]}]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeMessages(body)
		if err != nil {
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
				t.Fatalf("refused with %v, want a ValidationException", err)
			}
			return
		}
		conv, err := req.ToConverse("anthropic.claude-3-haiku-20240307-v1:0")
		if err != nil {
			var ex *wire.Exception
			if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
				t.Fatalf("no Converse equivalent: %v, want a ValidationException", err)
			}
			return
		}
		if _, err := json.Marshal(conv); err != nil {
			t.Fatal(err)
		}
		out := &wire.ConverseResponse{Output: &wire.ConverseOutput{Message: &wire.Message{Role: "assistant", Content: conv.Messages[0].Content}},
			StopReason: wire.StopReasonEndTurn, Usage: &wire.TokenUsage{}}
		b, err := req.FromConverse("msg_bdrk_x", "claude", out)
		if err != nil || !json.Valid(b) {
			t.Fatalf("answer %s: %v", b, err)
		}
	})
}

// FuzzDecodeEmbed: every family's decoder refuses with a
// ValidationException or yields a request whose answer encodes.
func FuzzDecodeEmbed(f *testing.F) {
	files, _ := filepath.Glob("testdata/embed/*.request.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	families := []Family{TitanEmbedV1, TitanEmbedV2, CohereEmbedV3, CohereEmbedV4}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fam := range families {
			req, err := DecodeEmbed(fam, body)
			if err != nil {
				var ex *wire.Exception
				if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
					t.Fatalf("%s refused with %v, want a ValidationException", fam, err)
				}
				continue
			}
			out := &Embeddings{}
			for range req.Texts {
				out.Vectors = append(out.Vectors, []float64{0.5, -0.5, 0, 1, 2, 3, 4, 5})
			}
			b, err := EncodeEmbed(req, out)
			if err != nil || !json.Valid(b) {
				t.Fatalf("%s answer %s: %v", fam, b, err)
			}
		}
	})
}
