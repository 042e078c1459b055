package replay

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/provider/builtin"
	"github.com/conversekit/converse/internal/sdktest"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

// fastBackoff keeps the SDK's own retryer but caps its backoff, so a test
// of retries does not sleep for seconds.
func fastBackoff(o *bedrockruntime.Options) {
	o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, time.Millisecond)
}

// flaky is a built-in model whose first "flaky" call is throttled and whose
// later ones are answered (a sequence of one, then the default answer).
func flaky(t *testing.T) provider.Provider {
	t.Helper()
	script, err := builtin.ParseScript([]byte(`
rules:
  - match: {text: "flaky"}
    sequence:
      - exception: {type: ThrottlingException, message: "Slow down, recorded."}
`))
	if err != nil {
		t.Fatal(err)
	}
	return builtin.New(builtin.Options{Tokens: servertest.Tokens(t), Script: script})
}

func readFile(t *testing.T, path string) *file {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// attempt is what the SDK's retryer saw on one attempt.
type attempt struct {
	Err string // exception type, "" for success
}

func attemptsOf(t *testing.T, out *bedrockruntime.ConverseOutput) []attempt {
	t.Helper()
	res, ok := retry.GetAttemptResults(out.ResultMetadata)
	if !ok {
		t.Fatal("no attempt results in the response metadata")
	}
	var got []attempt
	for _, r := range res.Results {
		a := attempt{}
		var te *types.ThrottlingException
		switch {
		case errors.As(r.Err, &te):
			a.Err = "ThrottlingException: " + te.ErrorMessage()
		case r.Err != nil:
			a.Err = r.Err.Error()
		}
		got = append(got, a)
	}
	return got
}

// A throttle-then-success sequence recorded through the official SDK with
// retries replays as throttle-then-success: the SDK's retryer sees the
// recorded ThrottlingException on its first attempt and the recorded answer
// on its second. Once the sequence is used up, the last answer repeats.
func TestThrottleThenSuccessReplaysThroughSDK(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(flaky(t), dir)
	if err != nil {
		t.Fatal(err)
	}
	in := &bedrockruntime.ConverseInput{ModelId: aws.String(haiku), Messages: []types.Message{{
		Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "a flaky question"}},
	}}}
	wantAttempts := []attempt{{Err: "ThrottlingException: Slow down, recorded."}, {}}

	recording := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"recorder": rec}, Default: "recorder"})
	recorded, err := sdktest.Client(t, recording, sdktest.Options{MaxAttempts: 3}).Converse(t.Context(), in, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantAttempts, attemptsOf(t, recorded)); diff != "" {
		t.Fatalf("recording attempts (-want +got):\n%s", diff)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("recordings %v, want one file for the one request", files)
	}
	f := readFile(t, files[0])
	if len(f.Exchanges) != 2 || f.Exchanges[0].Error == nil || f.Exchanges[0].Error.Type != wire.ThrottlingException || f.Exchanges[1].Response == nil {
		t.Fatalf("file holds %d exchanges, want [ThrottlingException, response]: %+v", len(f.Exchanges), f.Exchanges)
	}

	player, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	replaying := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"replay": player}, Default: "replay"})
	client := sdktest.Client(t, replaying, sdktest.Options{MaxAttempts: 3})
	replayed, err := client.Converse(t.Context(), in, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantAttempts, attemptsOf(t, replayed)); diff != "" {
		t.Errorf("replay attempts (-want +got):\n%s", diff)
	}
	text := func(out *bedrockruntime.ConverseOutput) string {
		return out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value
	}
	if text(recorded) != text(replayed) || text(replayed) == "" {
		t.Errorf("replayed answer %q, recorded %q", text(replayed), text(recorded))
	}

	// The sequence is used up: the last exchange (the answer) repeats.
	again, err := sdktest.Client(t, replaying, sdktest.Options{MaxAttempts: 1}).Converse(t.Context(), in)
	if err != nil {
		t.Fatalf("after the sequence: %v", err)
	}
	if text(again) != text(recorded) {
		t.Errorf("after the sequence: %q, want the last recorded answer %q", text(again), text(recorded))
	}

	// A fresh player starts at the first exchange: without retries the
	// client sees the recorded throttle.
	fresh, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	once := sdktest.Client(t, servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"replay": fresh}, Default: "replay"}), sdktest.Options{MaxAttempts: 1})
	_, err = once.Converse(t.Context(), in)
	var te *types.ThrottlingException
	if !errors.As(err, &te) || te.ErrorMessage() != "Slow down, recorded." {
		t.Errorf("fresh player's first answer: %v, want the recorded ThrottlingException", err)
	}
}

// Streams and Converse replay their sequences in order, per request, and
// repeat the last exchange; different requests keep separate positions.
func TestSequencesReplayInOrderPerRequest(t *testing.T) {
	dir := t.TempDir()
	script, err := builtin.ParseScript([]byte(`
rules:
  - match: {text: "twice"}
    sequence:
      - exception: {type: ThrottlingException}
      - exception: {type: ServiceUnavailableException}
  - match: {text: "stream", stream: true}
    sequence:
      - failAfter: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := NewRecorder(builtin.New(builtin.Options{Tokens: servertest.Tokens(t), Script: script}), dir)
	if err != nil {
		t.Fatal(err)
	}
	twice := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"twice"}]}]}`)}
	other := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"other"}]}]}`)}
	stream := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"stream"}]}]}`)}
	session := func(p provider.Provider) []outcome {
		var out []outcome
		for range 4 {
			out = append(out, run(t, p, false, twice))
			out = append(out, run(t, p, false, other))
		}
		for range 3 {
			out = append(out, run(t, p, true, stream))
		}
		return out
	}
	recorded := session(rec)
	// What the upstream did: throttle, unavailable, answer, answer; a
	// stream cut after 2 events, then whole streams.
	if !strings.Contains(recorded[0].Err, "ThrottlingException") || !strings.Contains(recorded[2].Err, "ServiceUnavailableException") ||
		recorded[4].Response == nil || recorded[8].Err == "" || len(recorded[8].Events) != 2 || recorded[9].Err != "" {
		t.Fatalf("the upstream did not run the script: %+v", recorded)
	}
	for name, want := range map[string]int{"twice": 4, "other": 4, "stream": 3} {
		var c *provider.Call
		op := opConverse
		switch name {
		case "twice":
			c = twice
		case "other":
			c = other
		case "stream":
			c, op = stream, opStream
		}
		n, _ := normalise(op, c)
		if got := len(readFile(t, filepath.Join(dir, n.fileName())).Exchanges); got != want {
			t.Errorf("%s: %d exchanges recorded, want %d", name, got, want)
		}
	}

	player, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(comparable(t, recorded), comparable(t, session(player))); diff != "" {
		t.Errorf("replay differs from the recording (-recorded +replayed):\n%s", diff)
	}
	// Past the end, the last exchange repeats.
	if got := run(t, player, true, stream); got.Err != "" || len(got.Events) != len(recorded[10].Events) {
		t.Errorf("after the stream sequence: %d events, error %q; want the last recorded stream", len(got.Events), got.Err)
	}
}

// Concurrent identical requests each take a different exchange: none is
// served twice while the sequence lasts.
func TestConcurrentCallsTakeEachExchangeOnce(t *testing.T) {
	dir := t.TempDir()
	seq := &file{Version: formatVersion, Operation: opConverse, ModelID: haiku}
	c := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)}
	n, _ := normalise(opConverse, c)
	seq.Key, seq.Request = n.key, n.request
	const calls = 8
	for i := range calls {
		seq.Exchanges = append(seq.Exchanges, &exchange{Error: &recordedError{Type: wire.ThrottlingException, Message: string(rune('a' + i))}})
	}
	b, err := encodeFile(seq)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, n.fileName()), b, 0o644); err != nil {
		t.Fatal(err)
	}
	player, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range calls {
		wg.Go(func() {
			_, err := player.Converse(t.Context(), c)
			var ex *wire.Exception
			if errors.As(err, &ex) {
				mu.Lock()
				seen[ex.Message]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	want := map[string]int{}
	for i := range calls {
		want[string(rune('a'+i))] = 1
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("exchanges served (-want +got):\n%s", diff)
	}
}

// A new Recorder starts each request's sequence afresh: re-recording
// replaces the old answers instead of appending to them.
func TestReRecordingReplacesSequences(t *testing.T) {
	dir := t.TempDir()
	c := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)}
	for range 2 {
		rec, err := NewRecorder(upstream(t), dir)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := rec.Converse(t.Context(), c); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, _ := normalise(opConverse, c)
	if got := len(readFile(t, filepath.Join(dir, n.fileName())).Exchanges); got != 2 {
		t.Errorf("%d exchanges after recording twice two calls, want 2 (the second session's)", got)
	}
}

// counter is a backend that counts tokens itself, with a scripted list of
// answers (the last repeats).
type counter struct {
	provider.Provider
	mu      sync.Mutex
	answers []any // int or error
	models  []string
}

func (c *counter) CountTokens(_ context.Context, modelID string, _ *wire.CountTokensInput) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.models = append(c.models, modelID)
	a := c.answers[0]
	if len(c.answers) > 1 {
		c.answers = c.answers[1:]
	}
	if err, ok := a.(error); ok {
		return 0, err
	}
	return a.(int), nil
}

// CountTokens is recorded and replayed: forwarded to a backend that counts
// (sequence and all), counted offline for one that cannot, and a count
// nobody recorded is a ValidationException naming the closest recording.
func TestCountTokensRoundTrip(t *testing.T) {
	input := func(text string) *wire.CountTokensInput {
		var in wire.CountTokensInput
		if err := wire.Decode([]byte(`{"converse":{"messages":[{"role":"user","content":[{"text":"`+text+`"}]}]}}`), &in); err != nil {
			t.Fatal(err)
		}
		return &in
	}
	type answer struct {
		N   int
		Err string
	}
	count := func(tc provider.TokenCounter, text string) answer {
		n, err := tc.CountTokens(t.Context(), haiku, input(text))
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{N: n}
	}

	t.Run("backend counts", func(t *testing.T) {
		dir := t.TempDir()
		up := &counter{Provider: upstream(t), answers: []any{wire.Errorf(wire.ThrottlingException, "Too many tokens."), 42}}
		rec, err := NewRecorder(up, dir)
		if err != nil {
			t.Fatal(err)
		}
		recorded := []answer{count(rec, "hello"), count(rec, "hello")}
		if diff := cmp.Diff([]answer{{Err: "ThrottlingException: Too many tokens."}, {N: 42}}, recorded); diff != "" {
			t.Fatalf("recording did not forward (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{haiku, haiku}, up.models); diff != "" {
			t.Errorf("models forwarded (-want +got):\n%s", diff)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "count-tokens-*.json"))
		if len(files) != 1 {
			t.Fatalf("recordings %v, want one count-tokens file", files)
		}
		player, err := NewPlayer(dir)
		if err != nil {
			t.Fatal(err)
		}
		replayed := []answer{count(player, "hello"), count(player, "hello"), count(player, "hello")}
		if diff := cmp.Diff(append(recorded, answer{N: 42}), replayed); diff != "" {
			t.Errorf("replay (-want +got):\n%s", diff)
		}
		_, err = player.CountTokens(t.Context(), haiku, input("hello there"))
		var ex *wire.Exception
		if !errors.As(err, &ex) || ex.Type != wire.ValidationException {
			t.Fatalf("miss gave %v, want a ValidationException", err)
		}
		for _, s := range []string{"CountTokens request", "The closest recording is " + filepath.Base(files[0]), `last user text "hello"`, "it differs in converse.messages."} {
			if !strings.Contains(ex.Message, s) {
				t.Errorf("miss message lacks %q:\n%s", s, ex.Message)
			}
		}
	})

	// Through the server and the SDK, with the built-in model (which
	// cannot count): the Recorder counts offline, and the replay answers
	// the same number.
	t.Run("offline through the SDK", func(t *testing.T) {
		dir := t.TempDir()
		rec, err := NewRecorder(upstream(t), dir)
		if err != nil {
			t.Fatal(err)
		}
		in := &bedrockruntime.CountTokensInput{ModelId: aws.String(haiku), Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{
			Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "How many tokens is this sentence, roughly?"}}}},
		}}}
		countVia := func(p provider.Provider) int32 {
			t.Helper()
			endpoint := servertest.Start(t, servertest.Options{Backends: map[string]provider.Provider{"p": p}, Default: "p"})
			out, err := sdktest.Client(t, endpoint, sdktest.Options{}).CountTokens(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			return *out.InputTokens
		}
		direct := countVia(upstream(t))
		recorded := countVia(rec)
		if recorded != direct || recorded == 0 {
			t.Fatalf("through the recorder %d tokens, directly %d", recorded, direct)
		}
		player, err := NewPlayer(dir)
		if err != nil {
			t.Fatal(err)
		}
		if player.Len() != 1 {
			t.Errorf("player holds %d recordings, want the one count", player.Len())
		}
		if replayed := countVia(player); replayed != recorded {
			t.Errorf("replayed %d tokens, recorded %d", replayed, recorded)
		}
	})
}

// Version 1 files (one exchange inline) still load and answer, as a
// sequence of one; testdata/v1.converse.json is the golden file as version
// 1 wrote it.
func TestVersion1FilesStillLoad(t *testing.T) {
	dir := t.TempDir()
	old, err := os.ReadFile(filepath.Join("testdata", "v1.converse.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(old), `"version": 1`) {
		t.Fatal("testdata/v1.converse.json is not a version 1 file")
	}
	if err := os.WriteFile(filepath.Join(dir, "converse-1fcfe70c3006b50a.json"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	streamV1 := `{"version":1,"key":"x","operation":"ConverseStream","modelId":"` + haiku + `","request":{"messages":[{"role":"user","content":[{"text":"cut"}]}]},` +
		`"events":[{"messageStart":{"role":"assistant"}}],"error":{"type":"ModelStreamErrorException","message":"gone","originalStatusCode":500}}`
	if err := os.WriteFile(filepath.Join(dir, "converse-stream-x.json"), []byte(streamV1), 0o644); err != nil {
		t.Fatal(err)
	}
	player, err := NewPlayer(dir)
	if err != nil {
		t.Fatal(err)
	}

	// The same exchange recorded now (version 2) is the answer to expect.
	want := readFile(t, filepath.Join("testdata", "golden.converse.json"))
	var wantResp wire.ConverseResponse
	if err := json.Unmarshal(want.Exchanges[0].Response, &wantResp); err != nil {
		t.Fatal(err)
	}
	c := &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"Is <b> bold & brave?"}]}],"inferenceConfig":{"maxTokens":12}}`)}
	for i := range 2 {
		got, err := player.Converse(t.Context(), c)
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		if diff := cmp.Diff(comparable(t, []outcome{{Response: &wantResp}}), comparable(t, []outcome{{Response: got}})); diff != "" {
			t.Errorf("call %d (-want +got):\n%s", i+1, diff)
		}
	}
	s := run(t, player, true, &provider.Call{ModelID: haiku, Request: decode(t, `{"messages":[{"role":"user","content":[{"text":"cut"}]}]}`)})
	if len(s.Events) != 1 || !strings.Contains(s.Err, "ModelStreamErrorException: gone") {
		t.Errorf("version 1 stream: %d events, error %q", len(s.Events), s.Err)
	}
}

func TestPlayerRejectsBrokenSequences(t *testing.T) {
	const head = `{"version":2,"operation":"Converse","modelId":"m","request":{}`
	for name, tc := range map[string]struct{ content, want string }{
		"inline in version 2":       {head + `,"response":{}}`, `under "exchanges"`},
		"no exchanges":              {head + `,"exchanges":[]}`, "no exchanges"},
		"null exchange":             {head + `,"exchanges":[null]}`, "exchange 1"},
		"second exchange broken":    {head + `,"exchanges":[{"response":{}},{}]}`, "exchange 2: a Converse recording holds either a response or an error"},
		"list in version 1":         {`{"version":1,"operation":"Converse","modelId":"m","request":{},"exchanges":[{"response":{}}]}`, "version 1"},
		"count without inputTokens": {`{"version":2,"operation":"CountTokens","modelId":"m","request":{},"exchanges":[{"response":{}}]}`, "no inputTokens"},
		"count with events":         {`{"version":2,"operation":"CountTokens","modelId":"m","request":{},"exchanges":[{"response":{"inputTokens":1},"events":[{"messageStart":{"role":"assistant"}}]}]}`, "not events"},
		"future version":            {`{"version":3,"operation":"Converse","modelId":"m","request":{}}`, "versions 1 and 2"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := NewPlayer(dir)
			if err == nil || !strings.Contains(err.Error(), "broken.json") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v does not name the file and %q", err, tc.want)
			}
		})
	}
}
