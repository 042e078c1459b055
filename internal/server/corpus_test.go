package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/conversekit/converse/internal/guardrail"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// corpusCase is one request of internal/wire/testdata/validation.
type corpusCase struct {
	Name      string          `json:"name"`
	Operation string          `json:"operation"`
	ModelID   string          `json:"modelId"`
	Body      json.RawMessage `json:"body"`
	RawBody   *string         `json:"rawBody"`
	Exception string          `json:"exception"`
	Message   string          `json:"message"`
}

func loadCorpus(t *testing.T, name string) []corpusCase {
	t.Helper()
	b, err := os.ReadFile("../wire/testdata/validation/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []corpusCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

// withBody makes the SDK send body instead of what it serialised from the
// input, after serialisation and before signing, so the corpus's exact
// bytes travel with a real SigV4 signature and the SDK parses the answer.
func withBody(body []byte) func(*bedrockruntime.Options) {
	return func(o *bedrockruntime.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Serialize.Add(middleware.SerializeMiddlewareFunc("corpusBody",
				func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
					req, ok := in.Request.(*smithyhttp.Request)
					if !ok {
						return middleware.SerializeOutput{}, middleware.Metadata{}, errors.New("not an HTTP request")
					}
					r, err := req.SetStream(bytes.NewReader(body))
					if err != nil {
						return middleware.SerializeOutput{}, middleware.Metadata{}, err
					}
					in.Request = r
					return next.HandleSerialize(ctx, in)
				}), middleware.After)
		})
	}
}

func (c corpusCase) body() []byte {
	if c.RawBody != nil {
		return []byte(*c.RawBody)
	}
	return c.Body
}

// send replays a case through the official client and returns its error.
func (c corpusCase) send(ctx context.Context, client *bedrockruntime.Client) error {
	opt := withBody(c.body())
	id := aws.String(c.ModelID)
	switch c.Operation {
	case "Converse":
		_, err := client.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: id}, opt)
		return err
	case "ConverseStream":
		out, err := client.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: id}, opt)
		if err != nil {
			return err
		}
		for range out.GetStream().Events() {
		}
		return out.GetStream().Err()
	case "CountTokens":
		in := &bedrockruntime.CountTokensInput{ModelId: id, Input: &types.CountTokensInputMemberConverse{}}
		_, err := client.CountTokens(ctx, in, opt)
		return err
	}
	return errors.New("unknown operation " + c.Operation)
}

// The validation corpus, replayed through the official Go SDK against a
// running server: every invalid request gets its exception type and message,
// every valid edge case is answered.
//
// The server knows the guardrail the valid cases name (abc, DRAFT, with no
// policies): an unknown one is refused, as on Bedrock.
func TestValidationCorpusThroughSDK(t *testing.T) {
	guards, err := guardrail.New([]guardrail.Config{{ID: "abc"}}, guardrail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	client := sdktest.Client(t, servertest.Start(t, servertest.Options{Guardrails: guards}), sdktest.Options{})
	invalid := loadCorpus(t, "invalid.json")
	if len(invalid) < 150 {
		t.Fatalf("only %d invalid cases", len(invalid))
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.Name, func(t *testing.T) {
			err := c.send(t.Context(), client)
			var ae smithy.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want %s", err, c.Exception)
			}
			if ae.ErrorCode() != c.Exception || !strings.Contains(ae.ErrorMessage(), c.Message) {
				t.Errorf("got %s %q\nwant %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), c.Exception, c.Message)
			}
			if c.Exception == "ValidationException" && !errors.As(err, new(*types.ValidationException)) {
				t.Errorf("error %T is not the SDK's typed ValidationException", err)
			}
		})
	}
	for _, c := range loadCorpus(t, "valid.json") {
		t.Run("valid/"+c.Name, func(t *testing.T) {
			if err := c.send(t.Context(), client); err != nil {
				t.Errorf("valid request rejected: %v", err)
			}
		})
	}
}
