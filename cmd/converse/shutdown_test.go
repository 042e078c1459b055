package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conversekit/converse/internal/servertest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/conversekit/converse/internal/sdktest"
)

// hangGuard bounds waits that only a bug makes long.
const hangGuard = 60 * time.Second

// openStreams starts n streams against endpoint and returns once each has
// received its first text delta. Each stream's outcome (nil or the SDK's
// error), and whether it saw messageStop, arrive on the returned channel.
func openStreams(t *testing.T, endpoint string, n int) <-chan streamEnd {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	var running sync.WaitGroup
	running.Add(n)
	ends := make(chan streamEnd, n)
	for range n {
		go func() {
			var end streamEnd
			defer func() { ends <- end }()
			// A client per stream: the SDK's event-stream decoder belongs to
			// a client and races when streams share it (smithy-go v1.28.8).
			client := sdktest.Client(t, endpoint, sdktest.Options{HTTPClient: &http.Client{Transport: tr}})
			out, err := client.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{
				ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
				Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Tell me about the history of computing in 2000 words"}}}},
			})
			if err != nil {
				end.err = err
				running.Done()
				return
			}
			st := out.GetStream()
			defer st.Close()
			first := true
			for ev := range st.Events() {
				switch ev.(type) {
				case *types.ConverseStreamOutputMemberContentBlockDelta:
					if first {
						first = false
						running.Done()
					}
				case *types.ConverseStreamOutputMemberMessageStop:
					end.messageStop = true
				}
			}
			end.err = st.Err()
			if first {
				running.Done()
			}
		}()
	}
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("streams did not start")
	}
	return ends
}

type streamEnd struct {
	err         error
	messageStop bool
}

// checkEndedByShutdown wants every stream ended with the shutdown's
// ServiceUnavailableException, never a silent cut.
func checkEndedByShutdown(t *testing.T, ends <-chan streamEnd, n int) {
	t.Helper()
	for range n {
		select {
		case end := <-ends:
			var unavailable *types.ServiceUnavailableException
			if !errors.As(end.err, &unavailable) || !strings.Contains(unavailable.ErrorMessage(), "shutting down") {
				t.Errorf("stream open at shutdown ended with err %v (messageStop %v), want ServiceUnavailableException", end.err, end.messageStop)
			}
		case <-time.After(hangGuard):
			t.Fatal("a stream did not end after the shutdown")
		}
	}
}

// `converse serve` returns nil when its context ends with streams open,
// and ends them with ServiceUnavailableException once the grace is over.
func TestServeReturnsNilOnShutdownWithOpenStreams(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		// Two tokens per second: the answers would take minutes.
		err := run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "2", "-shutdown-grace", "0"}, pw, io.Discard)
		pw.CloseWithError(errors.New("serve returned"))
		served <- err
	}()
	var endpoint string
	sc := bufio.NewScanner(pr)
	for endpoint == "" && sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			endpoint = m[1]
		}
	}
	if endpoint == "" {
		t.Fatalf("serve printed no endpoint: %v", sc.Err())
	}
	go io.Copy(io.Discard, pr)

	const n = 20
	ends := openStreams(t, endpoint, n)
	cancel()
	checkEndedByShutdown(t, ends, n)
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve returned %v after a shutdown, want nil", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("serve did not return")
	}
}

// The process itself: SIGTERM with streams open ends them with the
// exception and exits 0 (it used to exit 1 with `context deadline
// exceeded`, streams cut mid-answer).
func TestServeProcessExitsZeroOnSIGTERM(t *testing.T) {
	bin, err := buildConverse()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "2", "-shutdown-grace", "0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &servertest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // after a failure; a no-op once it exited
	})
	var endpoint string
	sc := bufio.NewScanner(stdout)
	for endpoint == "" && sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			endpoint = m[1]
		}
	}
	if endpoint == "" {
		t.Fatalf("converse serve printed no endpoint; stderr:\n%s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)

	const n = 20
	ends := openStreams(t, endpoint, n)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	checkEndedByShutdown(t, ends, n)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("converse serve exited with %v after SIGTERM, want status 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(hangGuard):
		t.Fatalf("converse serve still running after SIGTERM; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line; stderr:\n%s", stderr.String())
	}
}

// lineSignal is a log writer that closes seen at the first line containing
// want.
type lineSignal struct {
	want string
	seen chan struct{}
	once sync.Once
}

func (l *lineSignal) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.want) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

// While `converse serve` drains after SIGTERM, the metrics listener stays
// up: /readyz answers 503 "draining" so load balancers stop sending,
// /healthz and /metrics still answer; the listener closes once the open
// request has ended and serve returns.
func TestServeReadyzDrainingOnMetricsListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	metricsAddr := freeAddr(t)
	logs := &lineSignal{want: "shutting down", seen: make(chan struct{})}
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		// Two tokens per second and a long grace: the drain lasts until
		// the test ends the stream.
		err := run(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-builtin-ttft", "0", "-builtin-tps", "2",
			"-shutdown-grace", "10m", "-metrics-addr", metricsAddr}, pw, logs)
		pw.CloseWithError(errors.New("serve returned"))
		served <- err
	}()
	// The banner names the metrics listener once it listens.
	var endpoint string
	listening := false
	sc := bufio.NewScanner(pr)
	for !listening && sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			endpoint = m[1]
		}
		listening = strings.Contains(sc.Text(), "http://"+metricsAddr+"/metrics")
	}
	if endpoint == "" || !listening {
		t.Fatalf("serve printed no endpoint or metrics listener: %v", sc.Err())
	}
	go io.Copy(io.Discard, pr)
	if status, body := probe(t, "http://"+metricsAddr+"/readyz"); status != 200 || body != "ok\n" {
		t.Fatalf("/readyz before the shutdown: %d %q, want 200 ok", status, body)
	}

	// A stream open at the shutdown, until the client hangs up.
	streamCtx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	client := sdktest.Client(t, endpoint, sdktest.Options{})
	out, err := client.ConverseStream(streamCtx, &bedrockruntime.ConverseStreamInput{
		ModelId:  aws.String("anthropic.claude-3-haiku-20240307-v1:0"),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Tell me about the history of computing in 2000 words"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	events := out.GetStream().Events()
	select {
	case <-events: // the handler is running
	case <-time.After(hangGuard):
		t.Fatal("the stream did not start")
	}

	cancel() // SIGTERM
	select {
	case <-logs.seen:
	case <-time.After(hangGuard):
		t.Fatal("serve did not log its shutdown")
	}
	for _, p := range []struct {
		path   string
		status int
		body   string
	}{
		{"/readyz", 503, "draining\n"},
		{"/healthz", 200, "ok\n"},
	} {
		if status, body := probe(t, "http://"+metricsAddr+p.path); status != p.status || body != p.body {
			t.Errorf("%s while draining: %d %q, want %d %q", p.path, status, body, p.status, p.body)
		}
	}
	if status, body := probe(t, "http://"+metricsAddr+"/metrics"); status != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics while draining: %d", status)
	}

	hangUp()
	for range events {
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve returned %v, want nil", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("serve did not return once the stream ended")
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr}).Get("http://" + metricsAddr + "/readyz"); err == nil {
		resp.Body.Close()
		t.Errorf("the metrics listener still answers after serve returned: %s", resp.Status)
	}
}
