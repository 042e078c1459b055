package invoke

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/golden"
)

// TestEmbedGolden decodes each family's request (shapes from the AWS User
// Guide's model-parameter pages) and writes its response around fixed
// vectors of 8 dimensions (16 for the binary types), proving the exact
// JSON each family answers with.
func TestEmbedGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/embed/*.request.json")
	if len(files) < 6 {
		t.Fatalf("cases: %v", files)
	}
	family := map[string]Family{"titan-v1": TitanEmbedV1, "titan-v2": TitanEmbedV2, "cohere-v3": CohereEmbedV3, "cohere-v4": CohereEmbedV4}
	uuidRE := regexp.MustCompile(`"id":"[0-9a-f-]{36}"`)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".request.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var fam Family
			for prefix, fm := range family {
				if strings.HasPrefix(name, prefix) {
					fam = fm
				}
			}
			req, err := DecodeEmbed(fam, body)
			if err != nil {
				t.Fatal(err)
			}
			out := &Embeddings{InputTokens: 4}
			for i := range req.Texts {
				v := make([]float64, 16)
				for j := range v {
					v[j] = math.Sin(float64(i*16+j+1)) * 2
				}
				out.Vectors = append(out.Vectors, v)
			}
			got, err := EncodeEmbed(req, out)
			if err != nil {
				t.Fatal(err)
			}
			got = uuidRE.ReplaceAll(got, []byte(`"id":"UUID"`))
			decoded, _ := json.Marshal(req)
			golden.Check(t, filepath.Join("testdata/embed", name+".response.json"),
				append(golden.IndentJSON(t, got), append([]byte("\n"), golden.IndentJSON(t, decoded)...)...))
		})
	}
}

func TestDecodeEmbedRefuses(t *testing.T) {
	for _, tc := range []struct {
		f          Family
		body, want string
	}{
		{TitanEmbedV2, `{"inputText":""}`, "#/inputText: expected minLength: 1, actual: 0"},
		{TitanEmbedV2, `{"inputText":"x","embeddingTypes":["int8"]}`, "#/embeddingTypes/0: int8 is not a valid enum value"},
		{TitanEmbedV2, `{"inputText":5}`, "#/inputText: expected type: String, found: number"},
		{CohereEmbedV3, `{"texts":["a"],"input_type":"query"}`, "#/input_type: query is not a valid enum value"},
		{CohereEmbedV3, `{"texts":["a"],"input_type":"search_query","truncate":"LEFT"}`, "#/truncate: LEFT is not a valid enum value"},
		{CohereEmbedV4, `{"texts":["a"],"input_type":"search_query","output_dimension":128}`, "#/output_dimension: 128 is not a valid enum value"},
		{CohereEmbedV4, `{"texts":["a"],"images":["data:image/png;base64,AA"],"input_type":"search_query"}`, "Provide only one of texts, images or inputs."},
		{CohereEmbedV3, `{"texts":[` + strings.Repeat(`"a",`, 96) + `"a"],"input_type":"search_query"}`, "#/texts: expected maximum item count: 96, found: 97"},
	} {
		_, err := DecodeEmbed(tc.f, []byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.f, tc.body, err, tc.want)
		}
	}
}
