package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sync"
	"time"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/repl"
	"golang.org/x/term"
)

// defaultChatModel is what `converse chat` talks to on the embedded
// built-in model when no -model is given.
const defaultChatModel = "anthropic.claude-sonnet-4-20250514-v1:0"

// maxQuestion bounds a piped question.
const maxQuestion = 10 << 20

// chatCommand is `converse chat`: an interactive chat on a terminal, or one
// answer to a question piped into standard input.
func chatCommand(ctx context.Context, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model `ID`, inference profile or ARN (default $CONVERSE_CHAT_OPTIONS_MODEL; on the built-in model "+defaultChatModel+")")
	endpoint := fs.String("endpoint", "", "Bedrock Runtime endpoint `URL` (default $AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else AWS itself; with neither and no AWS credentials, an embedded converse serve)")
	system := fs.String("system", "", "system prompt `text`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: converse chat [-model ID] [-endpoint URL] [-system TEXT]\n\nOn a terminal: a chat (/help lists its commands). Piped: echo question | converse chat prints the answer.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage was printed, as asked
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("chat: unexpected argument %q (pipe a question in, or run it on a terminal)", fs.Arg(0))
	}
	settings, err := chat.SettingsFromEnv()
	if err != nil {
		return err
	}
	if *endpoint != "" {
		settings.Endpoint = *endpoint
	}
	opts, err := chat.OptionsFromEnv()
	if err != nil {
		return err
	}
	if *model != "" {
		opts.Model = *model
	}

	client, err := chat.New(ctx, chat.WithSettings(settings), chat.WithOptions(opts))
	if err != nil {
		return err
	}
	defer func() { client.Close() }()
	bo := client.Bedrock().Options()
	where := fmt.Sprintf("AWS Bedrock %s", bo.Region)
	if bo.BaseEndpoint != nil {
		where = *bo.BaseEndpoint
	}
	if !hasCredentials(ctx, client) {
		// The development key of converse serve: a converse endpoint
		// accepts it, and AWS says plainly that it does not.
		settings.AccessKey, settings.SecretKey, settings.SessionToken = "test", "test", ""
		if bo.BaseEndpoint == nil {
			url, stop, err := embeddedServe(ctx)
			if err != nil {
				return err
			}
			defer stop()
			settings.Endpoint, settings.Region, where = url, "us-east-1", url+" (embedded)"
			if opts.Model == "" {
				opts.Model = defaultChatModel
			}
			fmt.Fprintf(stderr, "converse: no endpoint and no AWS credentials: started the built-in model (converse serve) on %s\n", url)
		} else {
			fmt.Fprintln(stderr, "converse: no AWS credentials found: signing with the development key of converse serve (test/test)")
		}
		client.Close()
		if client, err = chat.New(ctx, chat.WithSettings(settings), chat.WithOptions(opts)); err != nil {
			return err
		}
	}
	if opts.Model == "" {
		return fmt.Errorf("chat: -model is required, e.g. -model %s", defaultChatModel)
	}
	ro := repl.Options{Client: client, Model: opts.Model, System: *system, Out: stdout, Where: where}

	if !term.IsTerminal(int(stdin.Fd())) {
		q, err := io.ReadAll(io.LimitReader(stdin, maxQuestion+1))
		if err != nil {
			return fmt.Errorf("read question: %w", err)
		}
		if len(q) > maxQuestion {
			return fmt.Errorf("chat: the piped question is larger than %d bytes", maxQuestion)
		}
		return repl.Once(ctx, string(q), ro)
	}

	var tty repl.Terminal
	if t, err := repl.OpenTTY(); err == nil {
		defer t.Close()
		tty = t
	} else {
		tty = stdinTerminal{stdin}
	}
	f, ok := stdout.(*os.File)
	ro.Color = ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
	// Ctrl-C stops the answer being streamed; main leaves SIGINT to us.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	ro.Interrupts = sig
	return repl.Run(ctx, tty, ro)
}

// hasCredentials reports whether the AWS chain the client uses (or a
// Bedrock API key) yields credentials. The chain may ask the instance
// metadata service, so the question is bounded.
func hasCredentials(ctx context.Context, c *chat.Client) bool {
	if c.Settings().APIKey != "" {
		return true
	}
	creds := c.Bedrock().Options().Credentials
	if creds == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := creds.Retrieve(ctx)
	return err == nil
}

// embeddedServe runs `converse serve` on the built-in model in this process
// on a free loopback port, until stop.
func embeddedServe(ctx context.Context) (endpoint string, stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	banner := &bannerWriter{found: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"-addr", "127.0.0.1:0"}, banner, io.Discard) }()
	select {
	case url := <-banner.found:
		return url, func() { cancel(); <-done }, nil
	case err := <-done:
		cancel()
		return "", nil, fmt.Errorf("embedded converse serve: %w", cmpErr(err, errors.New("stopped before listening")))
	}
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// bannerWriter takes serve's greeting and reports the endpoint it names.
type bannerWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	sent  bool
}

var listeningOn = regexp.MustCompile(`listening on (https?://\S+)\s`)

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent {
		return len(p), nil
	}
	w.buf.Write(p)
	if m := listeningOn.FindSubmatch(w.buf.Bytes()); m != nil {
		w.found <- string(m[1])
		w.sent = true
	}
	return len(p), nil
}

// stdinTerminal is standard input as the terminal, when /dev/tty cannot
// be opened; its reads cannot be cancelled.
type stdinTerminal struct{ f *os.File }

func (t stdinTerminal) Read(p []byte) (int, error) { return t.f.Read(p) }

func (t stdinTerminal) Raw() (func() error, error) {
	fd := int(t.f.Fd())
	st, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	return func() error { return term.Restore(fd, st) }, nil
}
