package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/provider"
	"github.com/conversekit/converse/internal/router"
	"github.com/conversekit/converse/internal/servertest"
	"github.com/conversekit/converse/internal/wire"
)

const (
	chatModel = "anthropic.claude-sonnet-4-20250514-v1:0"
	// hangModel is routed to a backend that streams one piece of text and
	// then waits for the client to go.
	hangModel = "amazon.nova-lite-v1:0"
	// chatGuard bounds every wait: a hang fails, a slow machine does not.
	chatGuard = 60 * time.Second
)

// TestConverseProcess is not a test: the tests below run this test binary
// as the converse command (arguments after "--"), as main runs it.
func TestConverseProcess(t *testing.T) {
	if os.Getenv("CONVERSE_TEST_PROCESS") != "1" {
		t.Skip("runs as the converse command in a child process")
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals(args)...)
	defer stop()
	if err := run(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "converse:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// converseCommand is `converse args...` as a child process with an
// environment free of the developer's AWS and converse settings.
func converseCommand(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestConverseProcess$", "--"}, args...)...)
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || strings.HasPrefix(name, "CONVERSE_") || name == "NO_COLOR" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env,
		"CONVERSE_TEST_PROCESS=1", "TERM=xterm-256color",
		// No profile files and no instance metadata: credentials are
		// what the test says, or none.
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

var devKey = []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1"}

// hangBackend sends one piece of text, then waits until the request ends.
type hangBackend struct{}

func (hangBackend) Converse(context.Context, *provider.Call) (*wire.ConverseResponse, error) {
	return nil, wire.Errorf(wire.ValidationException, "streams only")
}

func (hangBackend) ConverseStream(ctx context.Context, _ *provider.Call) iter.Seq2[*wire.StreamEvent, error] {
	return func(yield func(*wire.StreamEvent, error) bool) {
		if !yield(&wire.StreamEvent{MessageStart: &wire.MessageStartEvent{Role: wire.ConversationRoleAssistant}}, nil) {
			return
		}
		if !yield(&wire.StreamEvent{ContentBlockDelta: &wire.ContentBlockDeltaEvent{Delta: &wire.ContentBlockDelta{Text: wire.Ptr("partial answer")}}}, nil) {
			return
		}
		<-ctx.Done()
	}
}

// chatServer is an in-process converse: the built-in model, unpaced, and
// hangModel on hangBackend.
func chatServer(t *testing.T) string {
	t.Helper()
	return servertest.Start(t, servertest.Options{
		Backends: map[string]provider.Provider{"hang": hangBackend{}},
		Routes:   []router.Route{{Pattern: hangModel, Target: router.Target{Backend: "hang"}}},
	})
}

// ptyScreen collects what the child writes to its terminal.
type ptyScreen struct {
	mu      sync.Mutex
	raw     bytes.Buffer
	changed chan struct{}
	pos     int // in the plain text
}

var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\r`)

func (s *ptyScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw.Write(p)
	close(s.changed)
	s.changed = make(chan struct{})
	return len(p), nil
}

// expect waits until want appears in the plain text (escapes removed)
// after the previous match, and returns the text up to it.
func (s *ptyScreen) expect(t *testing.T, want string) string {
	t.Helper()
	timeout := time.NewTimer(chatGuard)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		plain := ansiEscape.ReplaceAllString(s.raw.String(), "")
		changed, from := s.changed, s.pos
		if i := strings.Index(plain[from:], want); i >= 0 {
			s.pos = from + i + len(want)
			s.mu.Unlock()
			return plain[from:s.pos]
		}
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("%q did not appear on the terminal within %s; after the last match:\n%s", want, chatGuard, plain[from:])
		}
	}
}

func (s *ptyScreen) rawText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

var chatStatus = regexp.MustCompile(`in [1-9]\d* · out [1-9]\d* · cache read \d+ · cache write \d+ · ttft \d+(\.\d+)?[mµn]?s · \d+\.\d tok/s`)

// ptyChild is converse running on a pseudo-terminal.
type ptyChild struct {
	t       *testing.T
	scr     *ptyScreen
	ptmx    *os.File
	tty     *os.File // kept open here, to read its modes after the child is gone
	initial termios
	exited  chan error
}

func startPTY(t *testing.T, cmd *exec.Cmd) *ptyChild {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 200}); err != nil {
		t.Fatal(err)
	}
	c := &ptyChild{t: t, scr: &ptyScreen{changed: make(chan struct{})}, ptmx: ptmx, tty: tty, initial: modes(t, tty), exited: make(chan error, 1)}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true} // the pty is its controlling terminal: Ctrl-C is SIGINT
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { io.Copy(c.scr, ptmx); close(copied) }() // ends when both ends are closed
	go func() { c.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // no-op once it exited
		err := <-c.exited
		c.exited <- err
		tty.Close()
		ptmx.Close()
		<-copied
	})
	return c
}

func (c *ptyChild) typ(keys string) {
	c.t.Helper()
	if _, err := io.WriteString(c.ptmx, keys); err != nil {
		c.t.Fatalf("type %q: %v", keys, err)
	}
}

// wait waits for a clean exit and checks the terminal is as it was.
func (c *ptyChild) wait() {
	c.t.Helper()
	select {
	case err := <-c.exited:
		c.exited <- err
		if err != nil {
			c.t.Errorf("converse chat exited with %v", err)
		}
	case <-time.After(chatGuard):
		c.t.Fatal("converse chat did not leave")
	}
	if got := modes(c.t, c.tty); got != c.initial {
		c.t.Errorf("terminal modes after exit %+v, want them restored to %+v", got, c.initial)
	}
}

// SIGTERM at the prompt ends chat with the terminal restored, although it
// is waiting for a key.
func TestChatTerminalSIGTERM(t *testing.T) {
	endpoint := chatServer(t)
	cmd := converseCommand(t, devKey, "chat", "-endpoint", endpoint, "-model", chatModel)
	c := startPTY(t, cmd)
	c.scr.expect(t, "/help for commands")
	c.scr.expect(t, "› ") // printed once the terminal is raw and the key read is pending
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.wait()
}

// The interactive chat, driven through a pseudo-terminal as a user would:
// a streamed answer with its usage line, a tool card, /save and /load, and
// Ctrl-C stopping a stream, then leaving at the prompt.
func TestChatTerminal(t *testing.T) {
	endpoint := chatServer(t)
	cmd := converseCommand(t, devKey, "chat", "-endpoint", endpoint, "-model", chatModel)
	c := startPTY(t, cmd)
	scr, typ := c.scr, c.typ
	scr.expect(t, "/help for commands")
	scr.expect(t, "› ")

	typ("Hello\r")
	scr.expect(t, "Hi there! What can I do for you?") // the built-in model greets back
	if out := scr.expect(t, " tok/s"); !chatStatus.MatchString(out) {
		t.Errorf("no usage line after the answer:\n%s", out)
	}
	if !strings.Contains(scr.rawText(), "\x1b[2min ") {
		t.Error("the usage line is not dim on a terminal")
	}

	typ("/tools on\r")
	scr.expect(t, "demo tools on")
	typ("Use the calculator for (2+3)*4.5\r")
	scr.expect(t, `┌ calculator {"expression":"Use the calculator for (2+3)*4.5"}`)
	scr.expect(t, "└ 22.5")
	scr.expect(t, " tok/s")

	saved := filepath.Join(t.TempDir(), "conversation.json")
	typ("/save " + saved + "\r")
	scr.expect(t, "saved 6 messages to "+saved)
	typ("/clear\r")
	scr.expect(t, "conversation cleared")
	typ("/load " + saved + "\r")
	scr.expect(t, "loaded 6 messages from "+saved)
	typ("/tools off\r")
	scr.expect(t, "demo tools off")
	typ("Where were we?\r")
	// The loaded turns are sent with this one: its prompt is the whole
	// conversation (hundreds of tokens), not one short question. With the
	// demo tools off, they stay declared: Bedrock refuses tool blocks
	// without them, which would show as a ValidationException here.
	status := scr.expect(t, " tok/s")
	if m := regexp.MustCompile(`in (\d+) ·`).FindStringSubmatch(status); m == nil {
		t.Errorf("no usage line after the loaded conversation:\n%s", status)
	} else if n, _ := strconv.Atoi(m[1]); n < 200 {
		t.Errorf("prompt of %d tokens after /load: the loaded conversation was not sent\n%s", n, status)
	}

	typ("/model " + hangModel + "\r")
	scr.expect(t, "model "+hangModel)
	typ("Tell me everything\r")
	scr.expect(t, "partial answer")
	typ("\x03") // the terminal sends SIGINT: the stream stops, the chat goes on
	scr.expect(t, "stopped; this turn is not kept")
	scr.expect(t, "› ")
	typ("\x03") // at the prompt: leave
	c.wait()
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if msgs, err := chat.UnmarshalMessages(data); err != nil || len(msgs) != 6 {
		t.Errorf("saved conversation: %d messages, %v; want 6", len(msgs), err)
	}
}

// Piped use prints only the answer, and an error as one line on stderr
// with a non-zero exit.
func TestChatPiped(t *testing.T) {
	endpoint := chatServer(t)
	client, err := chat.New(t.Context(), chat.WithSettings(chat.Settings{Endpoint: endpoint, AccessKey: "test", SecretKey: "test"}))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	want, err := client.Prompt("Why is the sky blue?").Options(chat.Options{Model: chatModel}).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	short, err := client.Prompt("Why is the sky blue?").Options(chat.Options{Model: chatModel, MaxTokens: chat.Ptr(5)}).Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantStdout string
		wantStderr string
		wantFail   bool
	}{
		{
			name: "answer only", env: devKey,
			args:       []string{"-endpoint", endpoint, "-model", chatModel},
			wantStdout: want.Text + "\n",
		},
		{
			name: "endpoint from AWS_ENDPOINT_URL_BEDROCK_RUNTIME", env: append([]string{"AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + endpoint}, devKey...),
			args:       []string{"-model", chatModel},
			wantStdout: want.Text + "\n",
		},
		{
			name: "no credentials: the development key", env: []string{"AWS_REGION=us-east-1"},
			args:       []string{"-endpoint", endpoint, "-model", chatModel},
			wantStdout: want.Text + "\n",
			wantStderr: "converse: no AWS credentials found: signing with the development key of converse serve (test/test)\n",
		},
		{
			name: "options from the environment", env: append([]string{"CONVERSE_CHAT_OPTIONS_MODEL=" + chatModel, "CONVERSE_CHAT_OPTIONS_MAX_TOKENS=5"}, devKey...),
			args:       []string{"-endpoint", endpoint},
			wantStdout: short.Text + "\n",
		},
		{
			name: "unknown model", env: devKey,
			args:       []string{"-endpoint", endpoint, "-model", "no.such-model-v1:0"},
			wantStderr: "converse: ValidationException: The provided model identifier is invalid.\n",
			wantFail:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := converseCommand(t, tc.env, append([]string{"chat"}, tc.args...)...)
			cmd.Stdin = strings.NewReader("Why is the sky blue?\n")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			switch {
			case tc.wantFail && !errors.As(err, &exit):
				t.Errorf("exit: %v, want a non-zero exit", err)
			case !tc.wantFail && err != nil:
				t.Errorf("exit: %v (stderr %q)", err, stderr.String())
			}
			if stdout.String() != tc.wantStdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.wantStdout)
			}
			if stderr.String() != tc.wantStderr {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

// With no endpoint and no AWS credentials, chat starts converse serve on
// the built-in model in its own process and says so in one line.
func TestChatEmbeddedServe(t *testing.T) {
	cmd := converseCommand(t, nil, "chat")
	cmd.Stdin = strings.NewReader("Hi")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("converse chat: %v (stderr %q)", err, stderr.String())
	}
	if !regexp.MustCompile(`^converse: no endpoint and no AWS credentials: started the built-in model \(converse serve\) on http://127\.0\.0\.1:\d+\n$`).MatchString(stderr.String()) {
		t.Errorf("stderr %q: want the one line saying the built-in model started", stderr.String())
	}
	if stdout.String() != "Hello! How can I help you today?\n" { // the built-in model greets back
		t.Errorf("stdout %q: want the built-in model's answer", stdout.String())
	}
}
