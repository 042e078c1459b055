package server_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"

	"github.com/conversekit/converse/internal/auth"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// Access is decided on the model a request is served by: an alias, a
// profile-prefixed ID or an ARN of a model the principal may use is
// allowed; an alias name in a principal's patterns grants nothing.
// internal/router's TestAccessAcrossForms covers every form × pattern; these
// rows go through the Go SDK (URL-escaped ARNs, SigV4) for each operation.
func TestAuthorizeServedModel(t *testing.T) {
	const (
		haikuARN   = "arn:aws:bedrock:us-east-1::foundation-model/" + claudeHaiku
		profileARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + claudeHaiku
	)
	principals := map[string][]string{
		"anthropic":  {"anthropic.*"},
		"alias-only": {"nova", "haiku"}, // alias names, not models
	}
	ao := &auth.Options{}
	for name, models := range principals {
		ao.Principals = append(ao.Principals, auth.Principal{Name: name, Models: models})
		ao.AccessKeys = append(ao.AccessKeys, auth.AccessKey{ID: "AKIA" + strings.ToUpper(strings.ReplaceAll(name, "-", "")), Secret: "s", Principal: name})
	}
	endpoint := servertest.Start(t, servertest.Options{
		Auth:    ao,
		Aliases: map[string]string{"haiku": claudeHaiku, "nova": "amazon.nova-lite-v1:0"},
	})
	client := func(principal string) *bedrockruntime.Client {
		return sdktest.Client(t, endpoint, sdktest.Options{AccessKeyID: "AKIA" + strings.ToUpper(strings.ReplaceAll(principal, "-", "")), SecretAccessKey: "s"})
	}
	for _, tc := range []struct {
		principal, op, model string
		want                 string // "" or the exception type
	}{
		{"anthropic", "Converse", claudeHaiku, ""},
		{"anthropic", "Converse", "haiku", ""},
		{"anthropic", "Converse", "us." + claudeHaiku, ""},
		{"anthropic", "Converse", "global." + claudeHaiku, ""},
		{"anthropic", "Converse", haikuARN, ""},
		{"anthropic", "ConverseStream", profileARN, ""},
		{"anthropic", "CountTokens", "haiku", ""},
		{"anthropic", "Converse", "nova", "AccessDeniedException"},
		{"anthropic", "Converse", "amazon.nova-lite-v1:0", "AccessDeniedException"},
		{"anthropic", "CountTokens", "amazon.nova-lite-v1:0", "AccessDeniedException"},
		// Allowed by pattern, unknown to the catalogue: refused as Bedrock
		// refuses it, after the access check.
		{"anthropic", "Converse", "anthropic.no-such-model-v1:0", "ValidationException"},
		{"alias-only", "Converse", "nova", "AccessDeniedException"},
		{"alias-only", "ConverseStream", "haiku", "AccessDeniedException"},
		{"alias-only", "CountTokens", "nova", "AccessDeniedException"},
		{"alias-only", "Converse", "amazon.nova-lite-v1:0", "AccessDeniedException"},
	} {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.principal, tc.op, url.PathEscape(tc.model)), func(t *testing.T) {
			err := call(t, client(tc.principal), tc.op, tc.model)
			var api smithy.APIError
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == "":
			case !errors.As(err, &api):
				t.Fatalf("got %v, want %s", err, tc.want)
			case api.ErrorCode() != tc.want:
				t.Fatalf("got %s (%s), want %s", api.ErrorCode(), api.ErrorMessage(), tc.want)
			}
		})
	}
}

// call runs one operation with a short prompt and drains a stream.
func call(t *testing.T, c *bedrockruntime.Client, op, model string) error {
	t.Helper()
	ctx := t.Context()
	msgs := []types.Message{userText("Hello")}
	switch op {
	case "Converse":
		_, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: msgs})
		return err
	case "ConverseStream":
		out, err := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: msgs})
		if err != nil {
			return err
		}
		s := out.GetStream()
		defer s.Close()
		for range s.Events() {
		}
		return s.Err()
	case "CountTokens":
		_, err := c.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(model), Input: &types.CountTokensInputMemberConverse{
			Value: types.ConverseTokensRequest{Messages: msgs},
		}})
		return err
	}
	t.Fatalf("unknown operation %s", op)
	return nil
}
