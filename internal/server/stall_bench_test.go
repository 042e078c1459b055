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
// clients are bare connections with nothing on the heap. tcp-kB is the
// kernel's TCP buffer memory of this network namespace (both ends).
//
// go test -run '^$' -bench StalledReaders -benchtime 1x ./internal/server
func BenchmarkStalledReaders(b *testing.B) {
	const n = 200
	for b.Loop() {
		ended := make(chan error, n)
		frames := make(chan struct{}, 1)
		addr, handled := stallServer(b, flood{ended: ended, frames: frames}, 10*time.Second, io.Discard)
		before := measure()
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
		stalled := measure()
		for range n {
			<-ended
			<-handled
		}
		after := measure()
		for _, c := range conns {
			c.Close()
		}
		stalled.report(b, "stalled", before)
		after.report(b, "ended", before)
	}
}

type usage struct {
	heap, rss, tcp int64 // bytes
	goroutines     int
}

func measure() usage {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := usage{heap: int64(ms.HeapInuse), goroutines: runtime.NumGoroutine()}
	u.rss = procField("/proc/self/status", "VmRSS:", 1) << 10
	u.tcp = procField("/proc/net/sockstat", "TCP:", 10) * int64(os.Getpagesize())
	return u
}

// procField returns the i-th field of the line starting with prefix, or 0.
func procField(path, prefix string, i int) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) > i && fields[0] == prefix {
			v, _ := strconv.ParseInt(fields[i], 10, 64)
			return v
		}
	}
	return 0
}

func (u usage) report(b *testing.B, phase string, base usage) {
	b.ReportMetric(float64(u.heap-base.heap)/(1<<20), phase+"-heap-MB")
	b.ReportMetric(float64(u.rss-base.rss)/(1<<20), phase+"-rss-MB")
	b.ReportMetric(float64(u.tcp-base.tcp)/(1<<20), phase+"-tcp-MB")
	b.ReportMetric(float64(u.goroutines-base.goroutines), phase+"-goroutines")
}
