package logbuf

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// out records each write the Writer makes.
type out struct {
	mu     sync.Mutex
	writes []string
}

func (o *out) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.writes = append(o.writes, string(p))
	return len(p), nil
}

func (o *out) text() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Join(o.writes, "")
}

func (o *out) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.writes)
}

// Lines written together leave in one write once the delay has passed
// since the first of them, and not before.
func TestLinesLeaveAfterTheDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := &out{}
		w := New(o, Options{Delay: 50 * time.Millisecond})
		defer w.Close()
		fmt.Fprintln(w, "one")
		time.Sleep(10 * time.Millisecond)
		fmt.Fprintln(w, "two")
		time.Sleep(39 * time.Millisecond)
		synctest.Wait()
		if o.count() != 0 {
			t.Fatalf("written before the delay: %q", o.writes)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if o.count() != 1 || o.text() != "one\ntwo\n" {
			t.Fatalf("after the delay: %q, want one write of both lines", o.writes)
		}
		// An idle writer makes no writes; the next line starts a new batch.
		time.Sleep(time.Second)
		fmt.Fprintln(w, "three")
		time.Sleep(50 * time.Millisecond)
		synctest.Wait()
		if o.count() != 2 || o.text() != "one\ntwo\nthree\n" {
			t.Fatalf("second batch: %q", o.writes)
		}
	})
}

// A batch reaching MaxBytes is written at once by the line that filled
// it; Close writes the rest, and later lines go straight out.
func TestFullBatchAndClose(t *testing.T) {
	o := &out{}
	w := New(o, Options{Delay: time.Hour, MaxBytes: 10})
	fmt.Fprint(w, "12345")
	if o.count() != 0 {
		t.Fatal("written before the batch was full")
	}
	fmt.Fprint(w, "67890")
	if o.text() != "1234567890" {
		t.Fatalf("full batch not written: %q", o.writes)
	}
	fmt.Fprint(w, "abc")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "def")
	if o.text() != "1234567890abcdef" {
		t.Fatalf("after Close: %q", o.writes)
	}
}

// Lines from many goroutines arrive whole, none lost.
func TestConcurrentLinesWhole(t *testing.T) {
	o := &out{}
	w := New(o, Options{MaxBytes: 256})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "goroutine=%d line=%d\n", g, i)
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(o.text(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	next := map[string]int{}
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l, "goroutine=%d line=%d", &g, &i); err != nil {
			t.Fatalf("torn line %q", l)
		}
		if key := fmt.Sprint(g); next[key] != i {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[key]-1)
		}
		next[fmt.Sprint(g)]++
	}
}

// Through Urgent, a warning leaves at once with the lines queued before
// it; info lines wait for the batch.
func TestUrgentFlushesWarnings(t *testing.T) {
	o := &out{}
	w := New(o, Options{Delay: time.Hour})
	log := slog.New(Urgent(slog.NewTextHandler(w, nil), w)).With("app", "x")
	log.Info("request")
	if o.count() != 0 {
		t.Fatalf("info line written at once: %q", o.writes)
	}
	log.WithGroup("g").Warn("store failed", "k", 1)
	if text := o.text(); !strings.Contains(text, "msg=request") || !strings.Contains(text, `msg="store failed"`) || !strings.Contains(text, "g.k=1") {
		t.Fatalf("after a warning: %q, want both lines", text)
	}
}
