package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// The seed's stream_conversation: print text deltas as they come, stop
// reading at messageStop. The streamed text is the Converse answer.
func TestSeedStreamConversation(t *testing.T) {
	client := sdktest.Client(t, start(t, nil), sdktest.Options{})
	conversation := []types.Message{userText("详细解释神经网络的工作原理")}
	inference := &types.InferenceConfiguration{MaxTokens: aws.Int32(1000), Temperature: aws.Float32(0.3)}
	streaming, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: aws.String(haiku), Messages: conversation, InferenceConfig: inference,
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := streaming.GetStream()
	var fullResponse strings.Builder
	var started, stopped bool
loop:
	for chunk := range stream.Events() {
		switch v := chunk.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			fullResponse.WriteString(v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		case *types.ConverseStreamOutputMemberMessageStart:
			started = true
		case *types.ConverseStreamOutputMemberMessageStop:
			stopped = true
			break loop // as the seed does: metadata is never read
		}
	}
	if err := stream.Close(); err != nil {
		t.Fatal(err)
	}
	if !started || !stopped {
		t.Errorf("messageStart %v, messageStop %v", started, stopped)
	}
	conv, err := client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: conversation, InferenceConfig: inference})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(textOf(t, conv), fullResponse.String()); diff != "" {
		t.Errorf("streamed text differs from Converse (-converse +stream):\n%s", diff)
	}
	if !strings.Contains(fullResponse.String(), "神经网络的工作原理") { // the topic, without "详细解释"
		t.Errorf("answer ignores the question: %s", fullResponse.String())
	}
}

// Reasoning through additionalModelRequestFields, for a model the
// catalogue says can reason: a reasoningContent block (text + signature)
// before the answer; streamed as reasoning text deltas, then one signature
// delta, without contentBlockStart. A model that cannot reason answers
// without it.
func TestReasoningThroughSDK(t *testing.T) {
	endpoint := servertest.Start(t, servertest.Options{Builtin: builtin.Options{Reasoning: catalogReasoning()}})
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	const sonnet37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
	thinking := document.NewLazyDocument(map[string]any{"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024}})
	in := &bedrockruntime.ConverseInput{
		ModelId: aws.String(sonnet37), Messages: []types.Message{userText("Why is the sky blue?")},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(2048)}, AdditionalModelRequestFields: thinking,
	}
	out, err := client.Converse(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	content := messageOf(t, out).Content
	rc, ok := content[0].(*types.ContentBlockMemberReasoningContent)
	if !ok || len(content) != 2 {
		t.Fatalf("content %#v, want reasoning then text", content)
	}
	rt := rc.Value.(*types.ReasoningContentBlockMemberReasoningText).Value
	if !strings.Contains(*rt.Text, "Why is the sky blue?") || rt.Signature == nil || len(*rt.Signature) < 80 {
		t.Errorf("reasoning %q signature %v", *rt.Text, rt.Signature)
	}

	sout, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{
		ModelId: in.ModelId, Messages: in.Messages, InferenceConfig: in.InferenceConfig, AdditionalModelRequestFields: thinking,
	})
	if err != nil {
		t.Fatal(err)
	}
	stream := sout.GetStream()
	defer stream.Close()
	var kinds []string
	var text, sig strings.Builder
	for ev := range stream.Events() {
		kind := ""
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			kind = "start"
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberReasoningContent:
				switch r := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					kind = "reasoningText"
					text.WriteString(r.Value)
				case *types.ReasoningContentBlockDeltaMemberSignature:
					kind = "signature"
					sig.WriteString(r.Value)
				}
			case *types.ContentBlockDeltaMemberText:
				kind = "text"
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			kind = "stop"
		}
		if kind != "" && (len(kinds) == 0 || kinds[len(kinds)-1] != kind) {
			kinds = append(kinds, kind)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"reasoningText", "signature", "stop", "text", "stop"}, kinds); diff != "" {
		t.Errorf("block events (-want +got):\n%s", diff)
	}
	if text.String() != *rt.Text || sig.String() != *rt.Signature {
		t.Error("streamed reasoning differs from Converse's")
	}

	// Claude 3 Haiku cannot reason: the same fields get a plain answer.
	in.ModelId = aws.String(haiku)
	in.InferenceConfig = nil
	out, err = client.Converse(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := messageOf(t, out).Content[0].(*types.ContentBlockMemberText); !ok {
		t.Errorf("haiku content %#v, want text only", messageOf(t, out).Content)
	}
}

// A scripted failure after N events reaches the SDK as the exception frame
// Bedrock sends mid-stream: the events before it arrive, then stream.Err()
// is the typed exception.
func TestScriptedMidStreamFailure(t *testing.T) {
	endpoint := startScripted(t, `
rules:
  - match: {text: "model crash"}
    reply:
      failAfter: 3
      exception: {type: ModelStreamErrorException, message: "The model stopped responding.", originalStatusCode: 500}
  - match: {text: "throttle"}
    reply:
      failAfter: 1
      exception: {type: ThrottlingException}
`)
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	cases := []struct {
		text   string
		events int
		check  func(error) bool
		detail string
	}{
		{"simulate a model crash", 3, func(err error) bool {
			var e *types.ModelStreamErrorException
			return errors.As(err, &e) && *e.OriginalStatusCode == 500 && strings.Contains(e.ErrorMessage(), "stopped responding")
		}, "ModelStreamErrorException with originalStatusCode 500"},
		{"throttle me mid-stream", 1, isType[*types.ThrottlingException], "ThrottlingException"},
	}
	for _, tc := range cases {
		out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(haiku), Messages: []types.Message{userText(tc.text)}})
		if err != nil {
			t.Fatalf("%s: the stream failed before it started: %v", tc.text, err)
		}
		n := 0
		for range out.GetStream().Events() {
			n++
		}
		err = out.GetStream().Err()
		if n != tc.events || !tc.check(err) {
			t.Errorf("%s: %d events then %T %v; want %d events then %s", tc.text, n, err, err, tc.events, tc.detail)
		}
	}
}
