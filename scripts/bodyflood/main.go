// Command bodyflood measures what a flood of large uploads costs a converse
// server: it starts `converse serve` (a binary you built), fires -n
// concurrent uploads of -size bytes each at it, and reports the server's
// peak resident memory (VmHWM from /proc, so Linux only) and the answers.
//
//	go build -o /tmp/converse ./cmd/converse
//	go run ./scripts/bodyflood -converse /tmp/converse -n 200 -size 50MB
//
// -as anonymous sends no credentials; -as known-key claims the development
// access key ID "test" (public) with a signature that cannot verify, which
// the server can only refuse after reading the body. Bodies are generated
// as they are sent, so the flood costs this process no memory.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	bin := flag.String("converse", "", "converse binary to run (required)")
	n := flag.Int("n", 200, "concurrent uploads")
	sizeFlag := flag.String("size", "50MB", "bytes per upload (suffix KB, MB, GB: powers of 1000)")
	as := flag.String("as", "anonymous", "anonymous or known-key")
	serveArgs := flag.String("args", "", "extra space-separated arguments for converse serve")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil || *bin == "" || (*as != "anonymous" && *as != "known-key") {
		fmt.Fprintln(os.Stderr, "usage: bodyflood -converse BIN [-n 200] [-size 50MB] [-as anonymous|known-key]")
		os.Exit(2)
	}
	if err := run(*bin, *n, size, *as, strings.Fields(*serveArgs)); err != nil {
		fmt.Fprintln(os.Stderr, "bodyflood:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KB": 1e3, "MB": 1e6, "GB": 1e9} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}

var endpointLine = regexp.MustCompile(`listening on http://(\S+)`)

func run(bin string, n int, size int64, as string, extra []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "-addr", "127.0.0.1:0", "-log-format", "json"}, extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var addr string
	for sc.Scan() {
		if m := endpointLine.FindStringSubmatch(sc.Text()); m != nil {
			addr = m[1]
			break
		}
	}
	if addr == "" {
		return errors.New("converse printed no http:// endpoint")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	pid := cmd.Process.Pid
	base, _ := memStatus(pid)

	// Sample while the flood runs, in case the server dies (its /proc entry
	// goes with it).
	var peak memInfo
	var peakMu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := memStatus(pid); err == nil {
				peakMu.Lock()
				peak.hwmKB = max(peak.hwmKB, m.hwmKB)
				peakMu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = upload(addr, size, as)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	final, err := memStatus(pid)
	alive := err == nil
	if alive {
		peak.hwmKB = max(peak.hwmKB, final.hwmKB)
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r]++
	}
	var lines []string
	for r, c := range counts {
		lines = append(lines, fmt.Sprintf("  %4d × %s", c, r))
	}
	sort.Strings(lines)
	fmt.Printf("%d concurrent %s uploads of %d bytes (%.1f GB in all) in %v\n", n, as, size, float64(int64(n)*size)/1e9, elapsed.Round(time.Millisecond))
	fmt.Printf("server RSS before: %d MiB; peak (VmHWM): %d MiB; alive after: %v\n", base.hwmKB>>10, peak.hwmKB>>10, alive)
	fmt.Println(strings.Join(lines, "\n"))
	return nil
}

// upload sends one request with a generated body and returns a summary of
// the answer ("403 AccessDeniedException", "connection reset", …).
func upload(addr string, size int64, as string) string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "dial: " + err.Error()
	}
	defer conn.Close()
	const path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, addr, size)
	if as == "known-key" {
		d := time.Now().UTC().Format("20060102T150405Z")
		head += fmt.Sprintf("X-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential=test/%s/us-east-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=%s\r\n", d, d[:8], strings.Repeat("0", 64))
	}
	go func() {
		if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
			return
		}
		_, _ = io.Copy(conn, io.LimitReader(zeros{}, size))
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "no answer: " + shortErr(err)
	}
	defer resp.Body.Close()
	typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
	return fmt.Sprintf("%d %s", resp.StatusCode, typ)
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type memInfo struct{ rssKB, hwmKB int64 }

func memStatus(pid int) (memInfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memInfo{}, err
	}
	var m memInfo
	if !strings.Contains(string(b), "VmHWM:") {
		return m, errors.New("process has exited") // a zombie keeps no memory lines
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rssKB = v
		case "VmHWM:":
			m.hwmKB = v
		}
	}
	return m, nil
}
