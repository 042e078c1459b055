package bedrock_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider/bedrock"
	"github.com/conversekit/converse/internal/provider/providertest"
	"github.com/conversekit/converse/internal/wire"
)

// unknownFrame is an event of a type this version does not know: the
// reader skips it, so it is no content.
func unknownFrame(t testing.TB) []byte {
	var b bytes.Buffer
	msg := eventstream.Message{Headers: eventstream.Headers{
		{Name: ":event-type", Value: eventstream.StringValue("futureEvent")},
		{Name: ":content-type", Value: eventstream.StringValue("application/json")},
		{Name: ":message-type", Value: eventstream.StringValue("event")},
	}, Payload: []byte(`{}`)}
	if err := eventstream.NewEncoder().Encode(&b, msg); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pipeFake is a bedrock provider whose upstream writes first and then an
// unknown event every second (for a simulated half hour), served in
// process so that it runs in a synctest bubble.
func pipeFake(t *testing.T, first []byte, opts bedrock.Options) *bedrock.Provider {
	t.Helper()
	keep := unknownFrame(t)
	h := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.WriteHeader(http.StatusOK)
		if _, err := w.Write(first); err != nil {
			return
		}
		for range 30 * 60 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Second):
			}
			if _, err := w.Write(keep); err != nil {
				return
			}
		}
	}
	opts.Region, opts.Endpoint, opts.Name = "us-east-1", "http://bedrock.test", "aws-test"
	opts.Credentials = credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	opts.HTTPClient = &http.Client{Transport: providertest.PipeTransport{Handler: http.HandlerFunc(h)}}
	p, err := bedrock.New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Events of unknown types, and a messageStart alone, are no content: they
// keep nothing alive. Before content the client has seen no event.
func TestStreamLiveness(t *testing.T) {
	for _, tc := range []struct {
		name      string
		first     func(t testing.TB) []byte
		opts      bedrock.Options
		wantKinds []string
		wantAfter time.Duration
		setting   string
	}{
		{"messageStart only, defaults", func(t testing.TB) []byte { return frames(t, evStart) }, bedrock.Options{}, nil, time.Minute, "first_token_timeout"},
		{"content, then unknown events", func(t testing.TB) []byte { return frames(t, evStart, evDelta) }, bedrock.Options{}, []string{"messageStart", "contentBlockDelta"}, time.Minute, "idle_timeout"},
		{"configured first token", func(t testing.TB) []byte { return frames(t, evStart) }, bedrock.Options{FirstTokenTimeout: 90 * time.Second}, nil, 90 * time.Second, "first_token_timeout"},
		{"configured idle", func(t testing.TB) []byte { return frames(t, evStart, evDelta) }, bedrock.Options{IdleTimeout: 5 * time.Second}, []string{"messageStart", "contentBlockDelta"}, 5 * time.Second, "idle_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := pipeFake(t, tc.first(t), tc.opts)
				start := time.Now()
				kinds, err := collect(t, p)
				took := time.Since(start)
				var ex *wire.Exception
				if !errors.As(err, &ex) || ex.Type != wire.ModelTimeoutException || !strings.Contains(ex.Message, tc.setting) {
					t.Fatalf("error = %v, want ModelTimeoutException naming %s", err, tc.setting)
				}
				if diff := cmp.Diff(tc.wantKinds, kinds); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
				if took != tc.wantAfter {
					t.Errorf("failed after %v, want %v", took, tc.wantAfter)
				}
			})
		})
	}
}
