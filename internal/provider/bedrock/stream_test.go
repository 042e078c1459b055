package bedrock_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/servertest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/eventstream"
	"github.com/conversekit/converse/internal/provider/bedrock"
	"github.com/conversekit/converse/internal/wire"
)

// fake runs an upstream that answers with h and checks no signature: these
// tests are about what the provider does with odd answers.
func fake(t testing.TB, h http.HandlerFunc) *bedrock.Provider {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	p, err := bedrock.New(t.Context(), bedrock.Options{
		Region: "us-east-1", Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "TOKEN"),
		HTTPClient:  httpClient(t), Name: "aws-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func frames(t testing.TB, evs ...*wire.StreamEvent) []byte {
	t.Helper()
	var b bytes.Buffer
	w := eventstream.NewWriter(&b, nil)
	for _, ev := range evs {
		if err := w.WriteEvent(ev); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

var (
	evStart = &wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}
	evDelta = &wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("hi")}}}
	evStop  = &wire.StreamEvent{MessageStop: &wire.MessageStopEvent{StopReason: wire.StopReasonEndTurn}}
)

func collect(t *testing.T, p *bedrock.Provider) (kinds []string, err error) {
	for ev, err := range p.ConverseStream(t.Context(), testCall(t)) {
		if err != nil {
			return kinds, err
		}
		kinds = append(kinds, ev.EventType())
	}
	return kinds, nil
}

// The request on the wire: the exact body, JSON content type, the escaped
// path, and SigV4 headers including the session token.
func TestRequestOnTheWire(t *testing.T) {
	type seen struct {
		uri, ctype, accept, date, token, authz string
		body                                   []byte
	}
	var mu sync.Mutex
	var got []seen
	p := fake(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.RequestURI, r.Header.Get("Content-Type"), r.Header.Get("Accept"), r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Security-Token"), r.Header.Get("Authorization"), body})
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/converse-stream") {
			w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
			w.Write(frames(t, evStart, evStop))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"output":{"message":{"role":"assistant","content":[{"text":"ok"}]}},"stopReason":"end_turn","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4,"cacheReadInputTokens":2},"metrics":{"latencyMs":5},"p":"padding"}`)
	})
	c := testCall(t)
	c.Raw = []byte(`{"messages":[{"role":"user","content":[{"text":"hello"}]}],  "futureMember":{"kept":true}}`)
	c.UpstreamModel = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"
	out, err := p.Converse(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if u := out.Usage; u == nil || u.InputTokens != 3 || u.OutputTokens != 1 || u.TotalTokens != 4 || u.CacheReadInputTokens == nil || *u.CacheReadInputTokens != 2 {
		t.Errorf("usage %+v", out.Usage)
	}
	if out.StopReason != wire.StopReasonEndTurn || out.Output == nil || out.Output.Message == nil || *out.Output.Message.Content[0].Text != "ok" {
		t.Errorf("response %+v", out)
	}
	for range p.ConverseStream(t.Context(), c) {
	}
	if len(got) != 2 {
		t.Fatalf("%d requests", len(got))
	}
	const path = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc/"
	for i, op := range []string{"converse", "converse-stream"} {
		s := got[i]
		if s.uri != path+op {
			t.Errorf("%s: request URI %q", op, s.uri)
		}
		if diff := cmp.Diff(string(c.Raw), string(s.body)); diff != "" {
			t.Errorf("%s: body changed (-sent +received):\n%s", op, diff)
		}
		if s.ctype != "application/json" || s.date == "" || s.token != "TOKEN" || !strings.HasPrefix(s.authz, "AWS4-HMAC-SHA256 Credential=AKID/") {
			t.Errorf("%s: headers %+v", op, s)
		}
	}
	if got[0].accept != "application/json" || got[1].accept != "application/vnd.amazon.eventstream" {
		t.Errorf("Accept %q, %q", got[0].accept, got[1].accept)
	}
}

// Events reach the caller as each frame arrives: the upstream holds the
// rest of its answer until the caller has the first event.
func TestStreamsAsItArrives(t *testing.T) {
	gotFirst := make(chan struct{})
	p := fake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.Write(frames(t, evStart, evDelta))
		http.NewResponseController(w).Flush()
		select {
		case <-gotFirst:
		case <-time.After(30 * time.Second): // fail-safe against a hang
			return
		}
		w.Write(frames(t, evDelta, evStop))
	})
	var kinds []string
	for ev, err := range p.ConverseStream(t.Context(), testCall(t)) {
		if err != nil {
			t.Fatal(err)
		}
		if len(kinds) == 0 {
			close(gotFirst)
		}
		kinds = append(kinds, ev.EventType())
	}
	if diff := cmp.Diff([]string{"messageStart", "contentBlockDelta", "contentBlockDelta", "messageStop"}, kinds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Answers that are not what the protocol promises become exceptions naming
// the backend, after whatever events were whole.
func TestMalformedUpstream(t *testing.T) {
	whole := frames(t, evStart, evDelta)
	corrupt := append([]byte(nil), frames(t, evStop)...)
	corrupt[len(corrupt)-1] ^= 0xff // message CRC
	for _, tc := range []struct {
		name      string
		ctype     string
		body      []byte
		wantKinds []string
		wantType  string
		wantText  string
	}{
		// Before any event, a model's failure is a ModelErrorException.
		{"JSON instead of a stream", "application/json", []byte(`{"output":{}}`), nil, wire.ModelErrorException, "instead of an event stream"},
		{"bad checksum", "application/vnd.amazon.eventstream", append(append([]byte(nil), whole...), corrupt...), []string{"messageStart", "contentBlockDelta"}, wire.ModelStreamErrorException, "malformed"},
		{"cut inside a frame", "application/vnd.amazon.eventstream", append(append([]byte(nil), whole...), frames(t, evStop)[:20]...), []string{"messageStart", "contentBlockDelta"}, wire.ServiceUnavailableException, "broke off"},
		{"ends before messageStop", "application/vnd.amazon.eventstream", whole, []string{"messageStart", "contentBlockDelta"}, wire.ModelStreamErrorException, "ended before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fake(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.Write(tc.body)
			})
			kinds, err := collect(t, p)
			if diff := cmp.Diff(tc.wantKinds, kinds); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			checkException(t, "ConverseStream", err, tc.wantType, tc.wantText)
			checkException(t, "ConverseStream", err, tc.wantType, `"aws-test"`)
		})
	}
	t.Run("Converse not JSON", func(t *testing.T) {
		p := fake(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>") })
		_, err := p.Converse(t.Context(), testCall(t))
		checkException(t, "Converse", err, wire.InternalServerException, `"aws-test"`)
	})
	t.Run("untyped error status", func(t *testing.T) {
		p := fake(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
		_, err := p.Converse(t.Context(), testCall(t))
		checkException(t, "Converse", err, wire.ServiceUnavailableException, "HTTP 502")
		_, err = collect(t, p)
		checkException(t, "ConverseStream", err, wire.ServiceUnavailableException, "HTTP 502")
	})
}

// When this server cannot obtain its own AWS credentials, the caller gets a
// ServiceUnavailableException that reveals nothing of the cause, and the
// operator a warning with it.
func TestNoCredentials(t *testing.T) {
	var logs servertest.Buffer
	p, err := bedrock.New(t.Context(), bedrock.Options{
		Region: "us-east-1", Endpoint: "http://unused.invalid", Name: "aws-test",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errors.New("role arn:aws:iam::123456789012:role/secret-role not assumable")
		}),
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Converse(t.Context(), testCall(t))
	checkException(t, "Converse", err, wire.ServiceUnavailableException, "no usable credentials")
	if strings.Contains(err.Error(), "secret-role") {
		t.Errorf("the cause reached the caller: %v", err)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "backend=aws-test") || !strings.Contains(out, "secret-role") {
		t.Errorf("log:\n%s", out)
	}
}
