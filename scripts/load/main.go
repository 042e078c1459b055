// Command load measures converse's own cost against a mock OpenAI-compatible
// upstream it serves itself: it starts `converse serve` (a binary you built)
// with every model routed to the mock, and compares requests sent straight to
// the mock ("direct") with the same requests through converse (Converse or
// ConverseStream, SigV4-signed). Overhead is converse − direct, same run.
//
//	go build -o /tmp/converse ./cmd/converse
//	go run ./scripts/load -converse /tmp/converse -mode seq -n 2000
//	go run ./scripts/load -converse /tmp/converse -mode rate -rate 2000 -duration 10s [-stream]
//	go run ./scripts/load -converse /tmp/converse -mode streams -streams 10000
//
// seq sends one request at a time, alternating direct and converse, and
// also reports converse's CPU time per request (from /proc, Linux only), the
// least noisy figure on a shared machine. rate is an open loop: requests are
// due at fixed times whatever happened to earlier ones, latency counts from
// the due time, at most -concurrency in flight. streams holds -streams
// concurrent slow streams of the built-in model open (-builtin-ttft /
// -builtin-tps pacing), reads converse's live heap and goroutines from its
// profiler before, during and after, then cancels them all and waits for the
// goroutines to return to the baseline.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/conversekit/converse/internal/eventstream"
)

type options struct {
	bin, mode, model       string
	n, streams, conc       int
	rate                   float64
	duration               time.Duration
	stream, h2c            bool
	chunks, chunkBytes     int
	chunkDelay             time.Duration
	ttft                   time.Duration
	tps                    float64
	promptBytes, respBytes int
	profile                string
	streamsBackend         string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "converse", "", "converse binary to run (required)")
	flag.StringVar(&o.mode, "mode", "seq", "seq, rate or streams")
	flag.StringVar(&o.model, "model", "anthropic.claude-3-haiku-20240307-v1:0", "model ID sent to converse")
	flag.IntVar(&o.n, "n", 2000, "seq: measured requests per target (after as many warm-up requests)")
	flag.Float64Var(&o.rate, "rate", 1000, "rate: requests per second")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "rate: measured time per target (after 2 s of warm-up)")
	flag.IntVar(&o.conc, "concurrency", 256, "rate: most requests in flight")
	flag.BoolVar(&o.stream, "stream", false, "seq, rate: ConverseStream / SSE instead of JSON")
	flag.IntVar(&o.chunks, "chunks", 20, "mock: content chunks per stream")
	flag.IntVar(&o.chunkBytes, "chunk-bytes", 8, "mock: bytes per chunk")
	flag.DurationVar(&o.chunkDelay, "chunk-delay", 0, "mock: pause between chunks")
	flag.IntVar(&o.respBytes, "resp-bytes", 256, "mock: answer bytes of a JSON reply")
	flag.IntVar(&o.promptBytes, "prompt-bytes", 64, "user text per request")
	flag.IntVar(&o.streams, "streams", 10000, "streams: concurrent streams")
	flag.DurationVar(&o.ttft, "builtin-ttft", time.Second, "streams: built-in model's time to first token")
	flag.Float64Var(&o.tps, "builtin-tps", 2, "streams: built-in model's tokens per second")
	flag.StringVar(&o.profile, "profile", "", "seq, rate: write converse's CPU profile (5 s, during the measured part) and allocation profile to `prefix`-cpu.pprof and prefix-allocs.pprof")
	flag.StringVar(&o.streamsBackend, "streams-backend", "builtin", "streams: builtin (paced by -builtin-ttft/-builtin-tps) or mock (paced by -chunk-delay; two sockets a stream in converse, mind ulimit -n)")
	flag.BoolVar(&o.h2c, "h2c", false, "streams: multiplex the streams over HTTP/2 cleartext connections")
	flag.Parse()
	if o.bin == "" || !slices.Contains([]string{"seq", "rate", "streams"}, o.mode) {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	mock, err := startMock(o)
	if err != nil {
		return err
	}
	defer mock.Close()
	args, backend := []string{}, "mock"
	if o.mode == "streams" && o.streamsBackend == "builtin" {
		args = append(args, "-builtin-ttft", o.ttft.String(), "-builtin-tps", strconv.FormatFloat(o.tps, 'f', -1, 64))
		backend = "builtin"
	}
	cv, err := startConverse(o.bin, "http://"+mock.Addr().String()+"/v1", backend, args)
	if err != nil {
		return err
	}
	defer cv.stop()
	c := &client{o: o, converse: "http://" + cv.addr, direct: "http://" + mock.Addr().String() + "/v1/chat/completions",
		hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0, IdleConnTimeout: 3 * time.Second}}}
	switch o.mode {
	case "seq":
		return seq(c, cv)
	case "rate":
		return rate(c, cv)
	}
	return streams(c, cv)
}

// ---- the mock upstream ----------------------------------------------------

func startMock(o options) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	text := strings.Repeat("a", o.respBytes)
	jsonBody := []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"mock","choices":[{"index":0,"message":{"role":"assistant","content":"` +
		text + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":64,"total_tokens":84}}`)
	chunk := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock","choices":[{"index":0,"delta":{"content":"` +
		strings.Repeat("b", o.chunkBytes) + `"},"finish_reason":null}]}` + "\n\n")
	tail := []byte(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"mock","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":20,"total_tokens":40}}` +
		"\n\ndata: [DONE]\n\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(jsonBody)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for range o.chunks {
			if o.chunkDelay > 0 {
				select {
				case <-time.After(o.chunkDelay):
				case <-r.Context().Done():
					return
				}
			}
			_, _ = w.Write(chunk)
			fl.Flush()
		}
		_, _ = w.Write(tail)
	})
	go func() { _ = http.Serve(ln, h) }()
	return ln, nil
}

// ---- converse ---------------------------------------------------------------

type converse struct {
	cmd     *exec.Cmd
	addr    string
	metrics string
	dir     string
}

var endpointLine = regexp.MustCompile(`listening on http://(\S+)`)

func startConverse(bin, upstream, backend string, extra []string) (*converse, error) {
	dir, err := os.MkdirTemp("", "converse-load")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "converse.yaml")
	if err := os.WriteFile(cfg, []byte(`auth:
  principals:
    - name: load
      models: ["*"]
      access_keys: [{id: test, secret: test}]
backends:
  - name: mock
    kind: openai
    base_url: `+upstream+`
    api_key: load
    max_connections: 20000
routes:
  - match: "*"
    backend: `+backend+`
default: mock
`), 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	metrics := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "-config", cfg, "-addr", "127.0.0.1:0", "-metrics-addr", metrics, "-pprof"}, extra...)
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "converse.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &converse{cmd: cmd, metrics: metrics, dir: dir}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			c.addr = m[1]
			break
		}
	}
	if c.addr == "" {
		c.stop()
		return nil, errors.New("converse printed no http:// endpoint")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	fmt.Printf("converse %s (pid %d, metrics and profiler on %s), log %s\n", c.addr, cmd.Process.Pid, metrics, logf.Name())
	return c, nil
}

func (c *converse) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// cpu is converse's user+system CPU time so far (Linux /proc).
func (c *converse) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// heap runs a garbage collection in converse and returns its live heap and
// goroutine count, from its profiler.
func (c *converse) heap() (heapBytes, stackBytes int64, goroutines int, err error) {
	resp, err := http.Get("http://" + c.metrics + "/debug/pprof/heap?debug=1&gc=1")
	if err != nil {
		return 0, 0, 0, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, 0, 0, err
	}
	field := func(name string) int64 {
		m := regexp.MustCompile(`(?m)^# ` + name + ` = (\d+)`).FindSubmatch(b) // "Stack = inuse / sys"
		if m == nil {
			return -1
		}
		v, _ := strconv.ParseInt(string(m[1]), 10, 64)
		return v
	}
	resp, err = http.Get("http://" + c.metrics + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, 0, 0, err
	}
	g, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := regexp.MustCompile(`goroutine profile: total (\d+)`).FindSubmatch(g); m != nil {
		goroutines, _ = strconv.Atoi(string(m[1]))
	}
	return field("HeapAlloc"), field("Stack"), goroutines, nil
}

// profile fetches converse's CPU profile over the next 5 s and then its
// allocation profile, into prefix-cpu.pprof and prefix-allocs.pprof; the
// returned function waits for both.
func (c *converse) profile(prefix string) (wait func()) {
	if prefix == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range []struct{ path, file string }{{"profile?seconds=5", "-cpu.pprof"}, {"allocs", "-allocs.pprof"}} {
			resp, err := http.Get("http://" + c.metrics + "/debug/pprof/" + p.path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
				return
			}
			f, err := os.Create(prefix + p.file)
			if err == nil {
				_, err = io.Copy(f, resp.Body)
				f.Close()
			}
			resp.Body.Close()
			if err != nil {
				fmt.Fprintln(os.Stderr, "profile:", err)
			}
		}
	}()
	return func() { <-done }
}

// ---- requests -----------------------------------------------------------------

type client struct {
	o                options
	converse, direct string
	hc               *http.Client
}

type result struct {
	total, first time.Duration
	err          error
}

func (c *client) do(ctx context.Context, direct bool) result {
	prompt := strings.Repeat("p", c.o.promptBytes)
	var req *http.Request
	var err error
	if direct {
		body := fmt.Sprintf(`{"model":"mock","messages":[{"role":"user","content":%q}],"max_tokens":64,"stream":%v}`, prompt, c.o.stream)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.direct, strings.NewReader(body))
		if err != nil {
			return result{err: err}
		}
		req.Header.Set("Content-Type", "application/json")
	} else {
		req, err = c.signed(ctx, c.o.stream, prompt)
		if err != nil {
			return result{err: err}
		}
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	first := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return result{err: fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)}
	}
	if !c.o.stream {
		_, err = io.Copy(io.Discard, resp.Body)
		return result{total: time.Since(start), first: first, err: err}
	}
	if direct {
		sc := bufio.NewScanner(resp.Body)
		seen, done := false, false
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data:") {
				if !seen {
					first, seen = time.Since(start), true
				}
				done = strings.TrimSpace(line[5:]) == "[DONE]"
			}
		}
		if !done {
			return result{err: errors.New("SSE stream without [DONE]")}
		}
		return result{total: time.Since(start), first: first, err: sc.Err()}
	}
	seen, complete := false, false
	for ev, err := range eventstream.Events(resp.Body, eventstream.ReadOptions{}) {
		if err != nil {
			return result{err: err}
		}
		if !seen {
			first, seen = time.Since(start), true
		}
		complete = ev.Metadata != nil
	}
	if !complete {
		return result{err: errors.New("event stream without metadata")}
	}
	return result{total: time.Since(start), first: first}
}

func (c *client) signed(ctx context.Context, stream bool, prompt string) (*http.Request, error) {
	op := "converse"
	if stream {
		op = "converse-stream"
	}
	body := fmt.Sprintf(`{"messages":[{"role":"user","content":[{"text":%q}]}],"inferenceConfig":{"maxTokens":64}}`, prompt)
	u := c.converse + "/model/" + url.PathEscape(c.o.model) + "/" + op
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL.RawPath = "/model/" + strings.ReplaceAll(url.PathEscape(c.o.model), ":", "%3A") + "/" + op
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	err = v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1", time.Now())
	return req, err
}

// ---- seq ----------------------------------------------------------------------

func seq(c *client, cv *converse) error {
	ctx := context.Background()
	var lat [2][]result
	wait := func() {}
	for phase := range 2 { // warm-up, then measured
		if phase == 1 {
			wait = cv.profile(c.o.profile)
		}
		cpu0 := cv.cpu()
		for i := range c.o.n {
			for _, direct := range []bool{i%2 == 0, i%2 != 0} { // alternate who goes first
				r := c.do(ctx, direct)
				if r.err != nil {
					return fmt.Errorf("direct=%v: %w", direct, r.err)
				}
				if phase == 1 {
					idx := 1
					if direct {
						idx = 0
					}
					lat[idx] = append(lat[idx], r)
				}
			}
		}
		if phase == 1 {
			fmt.Printf("converse CPU per request: %.1f µs (user+system over %d requests)\n", float64((cv.cpu()-cpu0).Microseconds())/float64(c.o.n), c.o.n)
		}
	}
	wait()
	kind := "JSON"
	if c.o.stream {
		kind = "stream"
	}
	fmt.Printf("sequential %s, %d requests each\n", kind, c.o.n)
	d, g := summarize(lat[0]), summarize(lat[1])
	fmt.Printf("%-9s p50 %7.3f ms  p90 %7.3f  p99 %7.3f  first p50 %7.3f\n", "direct", d.p50, d.p90, d.p99, d.first50)
	fmt.Printf("%-9s p50 %7.3f ms  p90 %7.3f  p99 %7.3f  first p50 %7.3f\n", "converse", g.p50, g.p90, g.p99, g.first50)
	fmt.Printf("overhead  Δp50 %+.3f ms  Δp90 %+.3f  Δp99 %+.3f  Δfirst p50 %+.3f\n", g.p50-d.p50, g.p90-d.p90, g.p99-d.p99, g.first50-d.first50)
	return nil
}

type summary struct{ p50, p90, p99, first50, first99 float64 }

func summarize(rs []result) summary {
	ms := func(get func(result) time.Duration, q float64) float64 {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		slices.Sort(v)
		if len(v) == 0 {
			return 0
		}
		return float64(v[min(len(v)-1, int(q*float64(len(v))))].Microseconds()) / 1000
	}
	total := func(r result) time.Duration { return r.total }
	first := func(r result) time.Duration { return r.first }
	return summary{ms(total, .5), ms(total, .9), ms(total, .99), ms(first, .5), ms(first, .99)}
}

// ---- rate ---------------------------------------------------------------------

func rate(c *client, cv *converse) error {
	var rows [2]string
	for i, direct := range []bool{true, false} {
		name := "converse"
		if direct {
			name = "direct"
		}
		openLoop(c, direct, 2*time.Second) // warm-up
		time.Sleep(time.Second)
		wait := func() {}
		if !direct {
			wait = cv.profile(c.o.profile)
		}
		cpu0 := cv.cpu()
		rs, errs, achieved, maxInFlight := openLoop(c, direct, c.o.duration)
		cpu := cv.cpu() - cpu0
		wait()
		s := summarize(rs)
		rows[i] = fmt.Sprintf("%-9s achieved %7.1f/s  ok %6d  err %5d  p50 %8.3f ms  p99 %8.3f  first p50 %8.3f  first p99 %8.3f  max in flight %d",
			name, achieved, len(rs), errs, s.p50, s.p99, s.first50, s.first99, maxInFlight)
		if direct {
			rows[i] += "\n"
		} else {
			rows[i] += fmt.Sprintf("\nconverse CPU %.0f%% of one core, %.1f µs per request", 100*cpu.Seconds()/c.o.duration.Seconds(), float64(cpu.Microseconds())/float64(max(len(rs), 1)))
		}
	}
	kind := "JSON"
	if c.o.stream {
		kind = "streams"
	}
	fmt.Printf("open loop %s at %.0f/s for %v (concurrency %d)\n%s%s\n", kind, c.o.rate, c.o.duration, c.o.conc, rows[0], rows[1])
	return nil
}

func openLoop(c *client, direct bool, d time.Duration) (rs []result, errs int, achieved float64, maxInFlight int64) {
	n := int(c.o.rate * d.Seconds())
	interval := time.Duration(float64(time.Second) / c.o.rate)
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	sem := make(chan struct{}, c.o.conc)
	var inFlight atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	var last time.Time
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n := inFlight.Add(1)
			mu.Lock()
			maxInFlight = max(maxInFlight, n)
			mu.Unlock()
			r := c.do(ctx, direct)
			inFlight.Add(-1)
			now := time.Now()
			// From the due time: the wait for a slot and the client's own
			// lag count, as they would for a real caller.
			lag := now.Sub(due) - r.total
			r.total, r.first = now.Sub(due), lag+r.first
			mu.Lock()
			defer mu.Unlock()
			if r.err != nil {
				errs++
				return
			}
			rs = append(rs, r)
			last = now
		}()
	}
	wg.Wait()
	if len(rs) > 0 {
		achieved = float64(len(rs)) / last.Sub(start).Seconds()
	}
	return rs, errs, achieved, maxInFlight
}

// ---- streams --------------------------------------------------------------------

func streams(c *client, cv *converse) error {
	heap0, stack0, g0, err := cv.heap()
	if err != nil {
		return err
	}
	fmt.Printf("baseline: heap %d KiB, stacks %d KiB, %d goroutines\n", heap0>>10, stack0>>10, g0)
	tr := &http.Transport{MaxIdleConnsPerHost: c.o.streams, DisableKeepAlives: false}
	if c.o.h2c {
		tr.Protocols = new(http.Protocols)
		tr.Protocols.SetUnencryptedHTTP2(true)
	}
	c.hc = &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started, failed atomic.Int64
	var wg sync.WaitGroup
	begun := time.Now()
	for range c.o.streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := c.signed(ctx, true, "Tell me a long story about a lighthouse keeper and the sea")
			if err != nil {
				failed.Add(1)
				return
			}
			resp, err := c.hc.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
				return
			}
			defer resp.Body.Close()
			first := true
			for _, err := range eventstream.Events(resp.Body, eventstream.ReadOptions{}) {
				if err != nil {
					return
				}
				if first {
					started.Add(1)
					first = false
				}
			}
		}()
	}
	for started.Load()+failed.Load() < int64(c.o.streams) && time.Since(begun) < 2*time.Minute {
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("%d streams streaming, %d failed, after %v\n", started.Load(), failed.Load(), time.Since(begun).Round(time.Millisecond))
	heap1, stack1, g1, err := cv.heap()
	if err != nil {
		return err
	}
	open := max(started.Load(), 1)
	fmt.Printf("open:     heap %d KiB, stacks %d KiB, %d goroutines\n", heap1>>10, stack1>>10, g1)
	fmt.Printf("per stream: heap %.1f KiB, stacks %.1f KiB, %.2f goroutines\n",
		float64(heap1-heap0)/1024/float64(open), float64(stack1-stack0)/1024/float64(open), float64(g1-g0)/float64(open))
	cancel()
	wg.Wait()
	tr.CloseIdleConnections()
	cancelled := time.Now()
	for {
		heap2, _, g2, err := cv.heap()
		if err != nil {
			return err
		}
		if g2 <= g0 || time.Since(cancelled) > time.Minute {
			fmt.Printf("after cancelling: heap %d KiB, %d goroutines (baseline %d) after %v\n", heap2>>10, g2, g0, time.Since(cancelled).Round(time.Millisecond))
			if g2 > g0 {
				dump := filepath.Join(cv.dir, "goroutines.txt")
				if resp, err := http.Get("http://" + cv.metrics + "/debug/pprof/goroutine?debug=1"); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					_ = os.WriteFile(dump, b, 0o644)
				}
				return fmt.Errorf("%d goroutines left above the baseline (stacks in %s)", g2-g0, dump)
			}
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}
