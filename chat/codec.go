package chat

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
)

// The SDK's message types are unions without JSON forms; stores (such as
// chat/redismemory) keep messages in Converse's own JSON shape instead.

type jsonMessage struct {
	Role    string      `json:"role"`
	Content []jsonBlock `json:"content"`
}

type jsonSource struct {
	Bytes []byte `json:"bytes,omitempty"`
	S3URI string `json:"s3Uri,omitempty"`
	Owner string `json:"bucketOwner,omitempty"`
}

type jsonMedia struct {
	Format string     `json:"format"`
	Name   string     `json:"name,omitempty"`
	Source jsonSource `json:"source"`
}

type jsonToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type jsonToolResult struct {
	ToolUseID string `json:"toolUseId"`
	Status    string `json:"status,omitempty"`
	Content   []struct {
		Text *string         `json:"text,omitempty"`
		JSON json.RawMessage `json:"json,omitempty"`
	} `json:"content"`
}

type jsonReasoning struct {
	Text      string `json:"text,omitempty"`
	Signature string `json:"signature,omitempty"`
	Redacted  []byte `json:"redactedContent,omitempty"`
}

type jsonBlock struct {
	Text       *string         `json:"text,omitempty"`
	Image      *jsonMedia      `json:"image,omitempty"`
	Video      *jsonMedia      `json:"video,omitempty"`
	Document   *jsonMedia      `json:"document,omitempty"`
	ToolUse    *jsonToolUse    `json:"toolUse,omitempty"`
	ToolResult *jsonToolResult `json:"toolResult,omitempty"`
	Reasoning  *jsonReasoning  `json:"reasoningContent,omitempty"`
	Guard      *jsonGuard      `json:"guardContent,omitempty"`
}

// jsonGuard is a guardContent text block.
type jsonGuard struct {
	Text struct {
		Text       string   `json:"text"`
		Qualifiers []string `json:"qualifiers,omitempty"`
	} `json:"text"`
}

// MarshalMessages encodes messages as Converse JSON. Text, images, videos,
// documents, tool calls and results (text and JSON), reasoning and guarded
// text (guardContent) are kept;
// cache checkpoints and other blocks are dropped (they are per request).
func MarshalMessages(msgs []types.Message) ([]byte, error) {
	out := make([]jsonMessage, 0, len(msgs))
	for _, m := range msgs {
		jm := jsonMessage{Role: string(m.Role), Content: []jsonBlock{}}
		for _, c := range m.Content {
			var b jsonBlock
			switch v := c.(type) {
			case *types.ContentBlockMemberText:
				b.Text = aws.String(v.Value)
			case *types.ContentBlockMemberImage:
				src, ok := v.Value.Source.(*types.ImageSourceMemberBytes)
				if !ok {
					continue
				}
				b.Image = &jsonMedia{Format: string(v.Value.Format), Source: jsonSource{Bytes: src.Value}}
			case *types.ContentBlockMemberVideo:
				b.Video = &jsonMedia{Format: string(v.Value.Format)}
				switch src := v.Value.Source.(type) {
				case *types.VideoSourceMemberBytes:
					b.Video.Source.Bytes = src.Value
				case *types.VideoSourceMemberS3Location:
					b.Video.Source.S3URI, b.Video.Source.Owner = aws.ToString(src.Value.Uri), aws.ToString(src.Value.BucketOwner)
				}
			case *types.ContentBlockMemberDocument:
				src, ok := v.Value.Source.(*types.DocumentSourceMemberBytes)
				if !ok {
					continue
				}
				b.Document = &jsonMedia{Format: string(v.Value.Format), Name: aws.ToString(v.Value.Name), Source: jsonSource{Bytes: src.Value}}
			case *types.ContentBlockMemberToolUse:
				in := json.RawMessage("{}")
				if v.Value.Input != nil {
					raw, err := v.Value.Input.MarshalSmithyDocument()
					if err != nil {
						return nil, fmt.Errorf("tool use input: %w", err)
					}
					in = raw
				}
				b.ToolUse = &jsonToolUse{ToolUseID: aws.ToString(v.Value.ToolUseId), Name: aws.ToString(v.Value.Name), Input: in}
			case *types.ContentBlockMemberToolResult:
				tr := &jsonToolResult{ToolUseID: aws.ToString(v.Value.ToolUseId), Status: string(v.Value.Status)}
				for _, rc := range v.Value.Content {
					switch r := rc.(type) {
					case *types.ToolResultContentBlockMemberText:
						tr.Content = append(tr.Content, struct {
							Text *string         `json:"text,omitempty"`
							JSON json.RawMessage `json:"json,omitempty"`
						}{Text: aws.String(r.Value)})
					case *types.ToolResultContentBlockMemberJson:
						raw, err := r.Value.MarshalSmithyDocument()
						if err != nil {
							return nil, fmt.Errorf("tool result: %w", err)
						}
						tr.Content = append(tr.Content, struct {
							Text *string         `json:"text,omitempty"`
							JSON json.RawMessage `json:"json,omitempty"`
						}{JSON: raw})
					}
				}
				b.ToolResult = tr
			case *types.ContentBlockMemberReasoningContent:
				switch r := v.Value.(type) {
				case *types.ReasoningContentBlockMemberReasoningText:
					b.Reasoning = &jsonReasoning{Text: aws.ToString(r.Value.Text), Signature: aws.ToString(r.Value.Signature)}
				case *types.ReasoningContentBlockMemberRedactedContent:
					b.Reasoning = &jsonReasoning{Redacted: r.Value}
				}
			case *types.ContentBlockMemberGuardContent:
				gt, ok := v.Value.(*types.GuardrailConverseContentBlockMemberText)
				if !ok {
					continue
				}
				b.Guard = &jsonGuard{}
				b.Guard.Text.Text = aws.ToString(gt.Value.Text)
				for _, q := range gt.Value.Qualifiers {
					b.Guard.Text.Qualifiers = append(b.Guard.Text.Qualifiers, string(q))
				}
			default:
				continue
			}
			jm.Content = append(jm.Content, b)
		}
		out = append(out, jm)
	}
	return json.Marshal(out)
}

// UnmarshalMessages decodes what MarshalMessages encoded.
func UnmarshalMessages(data []byte) ([]types.Message, error) {
	var in []jsonMessage
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, fmt.Errorf("decode messages: %w", err)
	}
	out := make([]types.Message, 0, len(in))
	for _, jm := range in {
		m := types.Message{Role: types.ConversationRole(jm.Role)}
		for _, b := range jm.Content {
			var c types.ContentBlock
			switch {
			case b.Text != nil:
				c = &types.ContentBlockMemberText{Value: *b.Text}
			case b.Image != nil:
				c = &types.ContentBlockMemberImage{Value: types.ImageBlock{Format: types.ImageFormat(b.Image.Format), Source: &types.ImageSourceMemberBytes{Value: b.Image.Source.Bytes}}}
			case b.Video != nil:
				vb := types.VideoBlock{Format: types.VideoFormat(b.Video.Format)}
				if b.Video.Source.S3URI != "" {
					loc := types.S3Location{Uri: aws.String(b.Video.Source.S3URI)}
					if b.Video.Source.Owner != "" {
						loc.BucketOwner = aws.String(b.Video.Source.Owner)
					}
					vb.Source = &types.VideoSourceMemberS3Location{Value: loc}
				} else {
					vb.Source = &types.VideoSourceMemberBytes{Value: b.Video.Source.Bytes}
				}
				c = &types.ContentBlockMemberVideo{Value: vb}
			case b.Document != nil:
				c = &types.ContentBlockMemberDocument{Value: types.DocumentBlock{Format: types.DocumentFormat(b.Document.Format), Name: aws.String(b.Document.Name), Source: &types.DocumentSourceMemberBytes{Value: b.Document.Source.Bytes}}}
			case b.ToolUse != nil:
				in, err := decodeDocument(b.ToolUse.Input)
				if err != nil {
					return nil, fmt.Errorf("decode tool use input: %w", err)
				}
				c = &types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String(b.ToolUse.ToolUseID), Name: aws.String(b.ToolUse.Name), Input: in}}
			case b.ToolResult != nil:
				tr := types.ToolResultBlock{ToolUseId: aws.String(b.ToolResult.ToolUseID), Status: types.ToolResultStatus(b.ToolResult.Status)}
				for _, rc := range b.ToolResult.Content {
					if rc.Text != nil {
						tr.Content = append(tr.Content, &types.ToolResultContentBlockMemberText{Value: *rc.Text})
						continue
					}
					doc, err := decodeDocument(rc.JSON)
					if err != nil {
						return nil, fmt.Errorf("decode tool result: %w", err)
					}
					tr.Content = append(tr.Content, &types.ToolResultContentBlockMemberJson{Value: doc})
				}
				c = &types.ContentBlockMemberToolResult{Value: tr}
			case b.Reasoning != nil && b.Reasoning.Redacted != nil:
				c = &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberRedactedContent{Value: b.Reasoning.Redacted}}
			case b.Reasoning != nil:
				rt := types.ReasoningTextBlock{Text: aws.String(b.Reasoning.Text)}
				if b.Reasoning.Signature != "" {
					rt.Signature = aws.String(b.Reasoning.Signature)
				}
				c = &types.ContentBlockMemberReasoningContent{Value: &types.ReasoningContentBlockMemberReasoningText{Value: rt}}
			case b.Guard != nil:
				c = guardBlock(b.Guard.Text.Text, qualifiers(b.Guard.Text.Qualifiers))
			default:
				continue
			}
			m.Content = append(m.Content, c)
		}
		out = append(out, m)
	}
	return out, nil
}

// decodeDocument turns stored JSON into a document the SDK can send. JSON
// the SDK cannot encode (an object key "", which its document encoder
// refuses) is an error here rather than a history that fails on every
// later request.
func decodeDocument(raw json.RawMessage) (document.Interface, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	doc := document.NewLazyDocument(v)
	if _, err := doc.MarshalSmithyDocument(); err != nil {
		return nil, err
	}
	return doc, nil
}
