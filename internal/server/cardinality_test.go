package server_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/metrics"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
)

// series counts the exposition's sample lines of converse's own metrics
// (the Go runtime's are left out: they are not labelled by requests) and
// the calls the request-duration histogram has seen.
func series(t *testing.T, m *metrics.Metrics) (lines int, calls float64) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "gen_ai_") || strings.HasPrefix(line, "converse_") {
			lines++
		}
		if strings.HasPrefix(line, "gen_ai_server_request_duration_seconds_count{") {
			n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			calls += n
		}
	}
	return lines, calls
}

// randomModelID is a model ID a client might invent, in every shape the
// router parses: plain, profile-prefixed, ARNs, or under a route pattern.
func randomModelID(r *rand.Rand) string {
	tail := fmt.Sprintf("%x", r.Uint64())
	switch r.IntN(6) {
	case 0:
		return "vendor." + tail
	case 1:
		return "us.vendor." + tail
	case 2:
		return "arn:aws:bedrock:us-east-1::foundation-model/vendor." + tail
	case 3:
		return "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/" + tail
	case 4:
		return "arn:aws:bedrock:us-east-1:123456789012:prompt/" + tail[:10]
	}
	return "custom." + tail // served, through the route "custom.*"
}

// TestMetricsCardinalityBounded: 1,000 client-chosen model IDs, refused or
// served, add no series; the model label is a catalogue ID, a route
// pattern or "unknown", never the ID as sent.
func TestMetricsCardinalityBounded(t *testing.T) {
	m := metrics.New(metrics.Options{})
	endpoint := servertest.Start(t, servertest.Options{
		Metrics: m,
		Routes:  []router.Route{{Pattern: "custom.*", Target: router.Target{Backend: "builtin"}}},
	})
	// One client per worker: the SDK's event-stream decoder is per client
	// and not safe for concurrent streams.
	var clients []*bedrockruntime.Client
	for range 4 {
		clients = append(clients, sdktest.Client(t, endpoint, sdktest.Options{}))
	}
	r := rand.New(rand.NewPCG(1, 2))
	send := func(n int) {
		ids := make(chan string)
		var wg sync.WaitGroup
		for _, client := range clients {
			wg.Go(func() {
				for id := range ids {
					out, err := client.ConverseStream(t.Context(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(id), Messages: []types.Message{userText("Hi")}})
					if err == nil {
						for range out.GetStream().Events() {
						}
						out.GetStream().Close()
					}
					_, _ = client.Converse(t.Context(), &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: []types.Message{userText("Hi")}})
				}
			})
		}
		for range n {
			ids <- randomModelID(r)
		}
		close(ids)
		wg.Wait()
	}
	// Warm up so that every kind of outcome has its series.
	send(60)
	before, callsBefore := series(t, m)
	send(1000)
	after, callsAfter := series(t, m)
	t.Logf("exposition lines: %d before, %d after 1,000 random model IDs (%v calls recorded)", before, after, callsAfter-callsBefore)
	if callsAfter-callsBefore != 2000 {
		t.Errorf("recorded %v calls, want 2000 (1,000 IDs × Converse and ConverseStream)", callsAfter-callsBefore)
	}
	if after != before {
		t.Errorf("1,000 random model IDs changed the series from %d to %d lines", before, after)
	}
}
