package invoke

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"unicode/utf8"
)

// EmbedRequest is an embedding body of any family, decoded and validated:
// what to embed and how the answer should look.
type EmbedRequest struct {
	Family Family
	// Texts are the inputs (one for Titan, up to 96 for Cohere).
	Texts []string
	// Images counts image inputs (Cohere), which only a backend that
	// forwards to Bedrock can embed.
	Images int
	// InputType is Cohere's input_type (search_document, search_query,
	// classification, clustering, image).
	InputType string
	// Dimensions is the vector length asked for; 0 means the model's
	// default.
	Dimensions int
	// Normalize asks for unit-length vectors (Titan v2, default true;
	// Cohere's vectors are always unit length).
	Normalize bool
	// Types are the embedding types asked for (float, binary, int8,
	// uint8, ubinary); nil means the family's default answer.
	Types []string
	// Truncate says what to do with an input over the model's token limit:
	// "NONE" (refuse), "START" or "END" (drop tokens from that side).
	Truncate string
	// MaxTokens is Cohere v4's max_tokens per input (0: the model's limit).
	MaxTokens int
}

// Embeddings is what a backend computed for an EmbedRequest.
type Embeddings struct {
	// Vectors holds one float vector per input, in order.
	Vectors [][]float64
	// InputTokens counts the tokens of all inputs.
	InputTokens int
}

var embedKeys = map[Family][]string{
	TitanEmbedV1:  {"inputText"},
	TitanEmbedV2:  {"inputText", "dimensions", "normalize", "embeddingTypes"},
	CohereEmbedV3: {"texts", "images", "input_type", "truncate", "embedding_types"},
	CohereEmbedV4: {"texts", "images", "inputs", "input_type", "truncate", "embedding_types", "output_dimension", "max_tokens"},
}

// DecodeEmbed decodes and validates an embedding body of family f with
// the schema checks Bedrock applies (keys, types, enums, counts).
func DecodeEmbed(f Family, body []byte) (*EmbedRequest, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, malformed("#: expected type: JSONObject, found: " + jsonKind(body))
	}
	allowed := embedKeys[f]
	if allowed == nil {
		return nil, fmt.Errorf("decode embedding body: %s is not an embedding family", f)
	}
	prefix := "#: "
	if f == TitanEmbedV1 {
		prefix = "" // as observed for Titan v1 (serverless-pdf-chat #35)
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if !slices.Contains(allowed, k) {
			problems = append(problems, fmt.Sprintf("%sextraneous key [%s] is not permitted", prefix, k))
		}
	}
	req := &EmbedRequest{Family: f}
	switch f {
	case TitanEmbedV1, TitanEmbedV2:
		if _, ok := top["inputText"]; !ok {
			problems = append(problems, prefix+"required key [inputText] not found")
		}
		if len(problems) > 0 {
			return nil, malformed(problems...)
		}
		var b struct {
			InputText      string   `json:"inputText"`
			Dimensions     *int     `json:"dimensions"`
			Normalize      *bool    `json:"normalize"`
			EmbeddingTypes []string `json:"embeddingTypes"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, malformed("#" + typePath(err))
		}
		if b.InputText == "" {
			return nil, malformed("#/inputText: expected minLength: 1, actual: 0")
		}
		if n := utf8.RuneCountInString(b.InputText); n > 50000 {
			return nil, malformed(fmt.Sprintf("#/inputText: expected maxLength: 50000, actual: %d", n))
		}
		req.Texts = []string{b.InputText}
		if f == TitanEmbedV2 {
			req.Normalize = true
			if b.Normalize != nil {
				req.Normalize = *b.Normalize
			}
			if b.Dimensions != nil {
				if !slices.Contains([]int{256, 512, 1024}, *b.Dimensions) {
					return nil, malformed(fmt.Sprintf("#/dimensions: %d is not a valid enum value", *b.Dimensions))
				}
				req.Dimensions = *b.Dimensions
			}
			if b.EmbeddingTypes != nil {
				if len(b.EmbeddingTypes) == 0 {
					return nil, malformed("#/embeddingTypes: expected minimum item count: 1, found: 0")
				}
				for i, t := range b.EmbeddingTypes {
					if t != "float" && t != "binary" {
						return nil, malformed(fmt.Sprintf("#/embeddingTypes/%d: %s is not a valid enum value", i, t))
					}
				}
				req.Types = b.EmbeddingTypes
			}
		}
		return req, nil
	}

	// Cohere.
	if _, ok := top["input_type"]; !ok {
		problems = append(problems, "#: required key [input_type] not found")
	}
	_, hasTexts := top["texts"]
	_, hasImages := top["images"]
	_, hasInputs := top["inputs"]
	if !hasTexts && !hasImages && !hasInputs {
		problems = append(problems, "#: required key [texts] not found")
	}
	if len(problems) > 0 {
		return nil, malformed(problems...)
	}
	var b struct {
		Texts           []string          `json:"texts"`
		Images          []string          `json:"images"`
		Inputs          []json.RawMessage `json:"inputs"`
		InputType       string            `json:"input_type"`
		Truncate        *string           `json:"truncate"`
		EmbeddingTypes  []string          `json:"embedding_types"`
		OutputDimension *int              `json:"output_dimension"`
		MaxTokens       *int              `json:"max_tokens"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, malformed("#" + typePath(err))
	}
	inputTypes := []string{"search_document", "search_query", "classification", "clustering"}
	if f == CohereEmbedV3 {
		inputTypes = append(inputTypes, "image")
	}
	if !slices.Contains(inputTypes, b.InputType) {
		return nil, malformed(fmt.Sprintf("#/input_type: %s is not a valid enum value", b.InputType))
	}
	if (hasTexts && len(b.Texts) > 0) && (len(b.Images) > 0 || len(b.Inputs) > 0) {
		return nil, invalidf("Provide only one of texts, images or inputs.")
	}
	if len(b.Texts) > 96 {
		return nil, malformed(fmt.Sprintf("#/texts: expected maximum item count: 96, found: %d", len(b.Texts)))
	}
	if f == CohereEmbedV3 {
		for i, t := range b.Texts {
			if n := utf8.RuneCountInString(t); n > 2048 {
				return nil, malformed(fmt.Sprintf("#/texts/%d: expected maxLength: 2048, actual: %d", i, n))
			}
		}
		if len(b.Images) > 1 {
			return nil, malformed(fmt.Sprintf("#/images: expected maximum item count: 1, found: %d", len(b.Images)))
		}
	}
	req.Texts, req.Images, req.InputType = b.Texts, len(b.Images)+len(b.Inputs), b.InputType
	req.Normalize = true
	truncates := []string{"NONE", "START", "END"}
	if f == CohereEmbedV4 {
		truncates = []string{"NONE", "LEFT", "RIGHT"}
	}
	req.Truncate = "NONE"
	if b.Truncate != nil {
		if !slices.Contains(truncates, *b.Truncate) {
			return nil, malformed(fmt.Sprintf("#/truncate: %s is not a valid enum value", *b.Truncate))
		}
		req.Truncate = map[string]string{"LEFT": "START", "RIGHT": "END"}[*b.Truncate]
		if req.Truncate == "" {
			req.Truncate = *b.Truncate
		}
	}
	if b.EmbeddingTypes != nil {
		if len(b.EmbeddingTypes) == 0 {
			return nil, malformed("#/embedding_types: expected minimum item count: 1, found: 0")
		}
		for i, t := range b.EmbeddingTypes {
			if !slices.Contains([]string{"float", "int8", "uint8", "binary", "ubinary"}, t) {
				return nil, malformed(fmt.Sprintf("#/embedding_types/%d: %s is not a valid enum value", i, t))
			}
		}
		req.Types = b.EmbeddingTypes
	}
	if b.OutputDimension != nil {
		if !slices.Contains([]int{256, 512, 1024, 1536}, *b.OutputDimension) {
			return nil, malformed(fmt.Sprintf("#/output_dimension: %d is not a valid enum value", *b.OutputDimension))
		}
		req.Dimensions = *b.OutputDimension
	}
	if b.MaxTokens != nil {
		if *b.MaxTokens < 1 {
			return nil, malformed(fmt.Sprintf("#/max_tokens: %d is not greater or equal to 1", *b.MaxTokens))
		}
		req.MaxTokens = *b.MaxTokens
	}
	return req, nil
}

func typePath(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
		return fmt.Sprintf("/%s: expected type: %s, found: %s", te.Field, goKind(te.Type.Kind().String()), te.Value)
	}
	return ": " + err.Error()
}

// Normalized returns v scaled to unit length (v itself when it is zero).
func Normalized(v []float64) []float64 {
	var sum float64
	for _, x := range v {
		sum += x * x
	}
	if sum == 0 {
		return v
	}
	n := math.Sqrt(sum)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out
}

// EncodeEmbed writes the family's response body for the vectors computed
// for req. Vectors are unit length when req asks for it; the integer and
// binary types are derived from the float vector: int8 = round(127·x),
// uint8 = round(127.5·(x+1)), ubinary = sign bits packed eight to a byte
// (most significant first), binary = ubinary − 128, and Titan's binary
// one 0/1 per dimension.
func EncodeEmbed(req *EmbedRequest, out *Embeddings) ([]byte, error) {
	vecs := make([][]float64, len(out.Vectors))
	for i, v := range out.Vectors {
		if req.Normalize {
			v = Normalized(v)
		}
		vecs[i] = round32(v)
	}
	var body any
	switch req.Family {
	case TitanEmbedV1:
		if len(vecs) != 1 {
			return nil, fmt.Errorf("encode titan embedding: %d vectors for one input", len(vecs))
		}
		body = struct {
			Embedding           []float64 `json:"embedding"`
			InputTextTokenCount int       `json:"inputTextTokenCount"`
		}{vecs[0], out.InputTokens}
	case TitanEmbedV2:
		if len(vecs) != 1 {
			return nil, fmt.Errorf("encode titan embedding: %d vectors for one input", len(vecs))
		}
		byType := map[string]any{}
		types := req.Types
		if types == nil {
			types = []string{"float"}
		}
		for _, t := range types {
			if t == "binary" {
				byType["binary"] = bits(vecs[0])
			} else {
				byType["float"] = vecs[0]
			}
		}
		body = struct {
			Embedding           []float64      `json:"embedding"`
			EmbeddingsByType    map[string]any `json:"embeddingsByType"`
			InputTextTokenCount int            `json:"inputTextTokenCount"`
		}{vecs[0], byType, out.InputTokens}
	case CohereEmbedV3, CohereEmbedV4:
		texts := req.Texts
		if texts == nil {
			texts = []string{}
		}
		resp := struct {
			ID           string   `json:"id"`
			Embeddings   any      `json:"embeddings"`
			ResponseType string   `json:"response_type"`
			Texts        []string `json:"texts"`
		}{ID: uuid(), Texts: texts}
		types := req.Types
		if types == nil && req.Family == CohereEmbedV3 {
			// v3 without embedding_types: a plain list of float vectors.
			resp.Embeddings, resp.ResponseType = vecs, "embeddings_floats"
			body = resp
			break
		}
		if types == nil {
			types = []string{"float"}
		}
		byType := map[string]any{}
		for _, t := range types {
			byType[t] = quantize(vecs, t)
		}
		resp.Embeddings, resp.ResponseType = byType, "embeddings_by_type"
		body = resp
	default:
		return nil, fmt.Errorf("encode embedding: %s is not an embedding family", req.Family)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode embedding: %w", err)
	}
	return b, nil
}

// round32 keeps float32 precision, the precision the real services send.
func round32(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(float32(x))
	}
	return out
}

func bits(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		if x > 0 {
			out[i] = 1
		}
	}
	return out
}

func quantize(vecs [][]float64, typ string) any {
	if typ == "float" {
		return vecs
	}
	out := make([][]int, len(vecs))
	for i, v := range vecs {
		switch typ {
		case "int8":
			q := make([]int, len(v))
			for j, x := range v {
				q[j] = int(math.Max(-128, math.Min(127, math.Round(127*x))))
			}
			out[i] = q
		case "uint8":
			q := make([]int, len(v))
			for j, x := range v {
				q[j] = int(math.Max(0, math.Min(255, math.Round(127.5*(x+1)))))
			}
			out[i] = q
		case "ubinary", "binary":
			q := make([]int, (len(v)+7)/8)
			for j, x := range v {
				if x > 0 {
					q[j/8] |= 1 << (7 - j%8)
				}
			}
			if typ == "binary" {
				for j := range q {
					q[j] -= 128
				}
			}
			out[i] = q
		}
	}
	return out
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
