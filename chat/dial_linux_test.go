//go:build linux

package chat_test

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/conversekit/converse/chat"
)

// blackhole returns an address whose TCP handshake never completes: a
// listener with a backlog of 0 that never accepts, its queue filled, so
// the kernel drops further SYNs.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Skipf("bind: %v", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skipf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 16 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel kept accepting connections into the backlog")
	return ""
}

func TestConnectionTimeout(t *testing.T) {
	set := testSettings("http://" + blackhole(t))
	set.ConnectionTimeout = 200 * time.Millisecond
	set.Timeout = 3 * time.Second // without the dial timeout, fail in 3s rather than hang
	c := newClient(t, "", chat.WithSettings(set), chat.WithRetry(chat.Retry{MaxAttempts: 1}))
	began := time.Now()
	_, err := c.Prompt("hi").Call(t.Context())
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" || !op.Timeout() {
		t.Errorf("err %v, want a dial timeout", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("dial gave up after %s, want about 200ms", d)
	}
}
