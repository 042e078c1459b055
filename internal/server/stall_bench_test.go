package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStalledReaders opens 200 streams whose clients never read and
// reports what the process holds while they are stalled — what a server
// without a stream write deadline held for ever — and after the deadline
// (10 s here) has ended them. Client and server share the process; the
// clients are bare connections with nothing on the heap. queued-MB is what
// the kernel holds in the send and receive queues of the connections to
// the server's port (both ends, from /proc/net/tcp; 0 elsewhere).
//
// go test -run '^$' -bench StalledReaders -benchtime 1x ./internal/server
func BenchmarkStalledReaders(b *testing.B) {
	const n = 200
	for b.Loop() {
		ended := make(chan error, n)
		frames := make(chan struct{}, 1)
		addr, handled := stallServer(b, flood{ended: ended, frames: frames}, 10*time.Second, io.Discard)
		_, port, _ := net.SplitHostPort(addr)
		before := measure(port)
		req := fmt.Sprintf("POST /model/%s/converse-stream HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			haiku, addr, len(streamBody), streamBody)
		conns := make([]net.Conn, 0, n)
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			if _, err := io.WriteString(c, req); err != nil {
				b.Fatal(err)
			}
		}
		// Stalled: no stream has written a frame for half a second.
		for quiet := false; !quiet; {
			select {
			case <-frames:
			case <-time.After(500 * time.Millisecond):
				quiet = true
			}
		}
		stalled := measure(port)
		for range n {
			<-ended
			<-handled
		}
		after := measure(port)
		for _, c := range conns {
			c.Close()
		}
		stalled.report(b, "stalled", before)
		after.report(b, "ended", before)
	}
}

type usage struct {
	heap, rss, queued int64 // bytes
	goroutines        int
}

func measure(port string) usage {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := usage{heap: int64(ms.HeapInuse), goroutines: runtime.NumGoroutine()}
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if kb, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				v, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(kb, "kB")), 10, 64)
				u.rss = v << 10
			}
		}
	}
	u.queued = tcpQueued(port)
	return u
}

// tcpQueued sums the send and receive queues of the IPv4 TCP sockets whose
// local or remote port is port (decimal), from /proc/net/tcp.
func tcpQueued(port string) int64 {
	p, _ := strconv.Atoi(port)
	hexPort := fmt.Sprintf(":%04X", p)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	var total int64
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[1], hexPort) && !strings.HasSuffix(f[2], hexPort) {
			continue
		}
		tx, rx, _ := strings.Cut(f[4], ":")
		t, _ := strconv.ParseInt(tx, 16, 64)
		r, _ := strconv.ParseInt(rx, 16, 64)
		total += t + r
	}
	return total
}

func (u usage) report(b *testing.B, phase string, base usage) {
	b.ReportMetric(float64(u.heap-base.heap)/(1<<20), phase+"-heap-MB")
	b.ReportMetric(float64(u.rss-base.rss)/(1<<20), phase+"-rss-MB")
	b.ReportMetric(float64(u.queued-base.queued)/(1<<20), phase+"-queued-MB")
	b.ReportMetric(float64(u.goroutines-base.goroutines), phase+"-goroutines")
}
