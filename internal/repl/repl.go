// Package repl is the interactive side of `converse chat`: a line-editing
// chat session over the public chat package (so it talks to AWS Bedrock
// and a converse server alike), with slash commands, streamed answers,
// tool-call cards and a usage line per turn; and the one-shot form used
// when the question is piped in.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/conversekit/converse/chat"
)

// Options configure a session. Client and Model are required.
type Options struct {
	// Client reaches the model.
	Client *chat.Client
	// Model is the model ID to start with (/model changes it).
	Model string
	// System is the system prompt to start with (/system changes it).
	System string
	// Out receives the answers and everything the session says.
	Out io.Writer
	// Color styles the output with ANSI escapes (only on a terminal,
	// and not when NO_COLOR is set: the caller decides).
	Color bool
	// Where names the endpoint for the greeting, e.g. "AWS Bedrock
	// (us-east-1)" or a URL.
	Where string
	// Interrupts stop the turn being streamed (Ctrl-C); the session goes
	// on. Nil: turns cannot be interrupted.
	Interrupts <-chan os.Signal
	// Now is the clock of the demo clock tool (time.Now when nil).
	Now func() time.Time
}

// Terminal is the user's terminal as the line editor needs it: its input
// and a switch to raw mode, which the session turns on only while a line
// is edited, so Ctrl-C during an answer reaches the process as SIGINT.
//
// When it also has SetReadDeadline (as an *os.File opened on a terminal
// does), a cancelled context ends a pending read; Size, when present,
// tells the editor the width for wrapping.
type Terminal interface {
	io.Reader
	Raw() (restore func() error, err error)
}

// session is the state of one conversation.
type session struct {
	o       Options
	st      style
	model   string
	system  string
	tools   bool
	cache   chat.CacheStrategy
	history history
	pending []attachment
	total   chat.Usage
	turns   int
	// atLineStart is false while the last thing written ends mid-line.
	atLineStart bool
}

type attachment struct {
	what  string // "image cat.png (12 KB)"
	media chat.Media
}

func newSession(o Options) *session {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return &session{o: o, st: newStyle(o.Color), model: o.Model, system: o.System, atLineStart: true}
}

// history is the conversation, kept whole (no window) so /save writes all
// of it; it is the chat.Memory of every turn, which adds a turn's messages
// only when the turn completes.
type history struct{ msgs []types.Message }

func (h *history) Get(context.Context, string) ([]types.Message, error) {
	return slices.Clone(h.msgs), nil
}

func (h *history) Add(_ context.Context, _ string, msgs ...types.Message) error {
	h.msgs = append(h.msgs, msgs...)
	return nil
}

func (h *history) Clear(context.Context, string) error {
	h.msgs = nil
	return nil
}

// Once answers one question (piped input): only the answer's text reaches
// o.Out, followed by a newline. An error is returned as one readable line
// (see Describe).
func Once(ctx context.Context, question string, o Options) error {
	s := newSession(o)
	s.st = newStyle(false)
	question = strings.TrimRight(question, "\r\n")
	if strings.TrimSpace(question) == "" {
		return errors.New("no question on standard input")
	}
	p := s.prompt(question, nil)
	for ch, err := range p.Stream(ctx) {
		if err != nil {
			s.endLine()
			return readable(err)
		}
		if ch.Text != "" {
			s.write(ch.Text)
		}
	}
	s.endLine()
	return nil
}

// prompt builds one turn's request.
func (s *session) prompt(text string, media []chat.Media) chat.Prompt {
	o := chat.Options{Model: s.model}
	if s.cache != chat.CacheNone {
		o.Cache = &chat.CacheOptions{Strategy: s.cache}
	}
	p := s.o.Client.Prompt().Options(o).Memory(&s.history, "converse-chat")
	if s.system != "" {
		p = p.System(s.system)
	}
	if s.tools || s.history.hasTools() {
		p = p.Tools(demoTools(s.o.Now)...)
	}
	return p.User(text, media...)
}

// hasTools reports tool calls or results in the conversation: Bedrock
// then requires the tools to be declared (toolConfig), so they stay
// offered until /clear even after /tools off.
func (h *history) hasTools() bool {
	for _, m := range h.msgs {
		for _, c := range m.Content {
			switch c.(type) {
			case *types.ContentBlockMemberToolUse, *types.ContentBlockMemberToolResult:
				return true
			}
		}
	}
	return false
}

// Run is the interactive session: it reads lines from t until /quit,
// Ctrl-D, Ctrl-C at the prompt, or ctx ends.
func Run(ctx context.Context, t Terminal, o Options) error {
	s := newSession(o)
	in := newLineReader(t, o.Out, s.st)
	if d, ok := t.(interface{ SetReadDeadline(time.Time) error }); ok {
		// Ends a read pending at the prompt when ctx ends (SIGTERM), so
		// the terminal is restored on the way out.
		stop := context.AfterFunc(ctx, func() { _ = d.SetReadDeadline(time.Now()) })
		defer stop()
	}
	s.say(s.st.dim(fmt.Sprintf("converse chat · %s · %s · /help for commands, Ctrl-D to leave", s.model, o.Where)))
	for {
		text, cmd, err := in.read(s.promptText())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, io.EOF) {
				io.WriteString(o.Out, "\n") // the shell's prompt starts on a line of its own
				return nil
			}
			return err
		}
		if cmd {
			if quit := s.command(ctx, text); quit {
				return nil
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		s.turn(ctx, text)
		if ctx.Err() != nil {
			return nil
		}
	}
}

func (s *session) promptText() string {
	if n := len(s.pending); n > 0 {
		return s.st.prompt(fmt.Sprintf("[%d attached] › ", n))
	}
	return s.st.prompt("› ")
}

// turn streams one answer, with tool cards, then the usage line.
func (s *session) turn(ctx context.Context, text string) {
	media := make([]chat.Media, len(s.pending))
	for i, a := range s.pending {
		media[i] = a.media
	}
	p := s.prompt(text, media)

	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	interrupted := s.watch(tctx, cancel)

	start := time.Now()
	var first, end time.Time
	var usage chat.Usage
	var stop types.StopReason
	var failure error
	reasoning := false
	for ch, err := range p.Stream(tctx) {
		if err != nil {
			failure = err
			break
		}
		if (ch.Text != "" || ch.Reasoning != "" || ch.ToolCall != nil) && first.IsZero() {
			first = time.Now()
		}
		switch {
		case ch.Reasoning != "":
			reasoning = true
			s.write(s.st.dim(ch.Reasoning))
		case ch.Text != "":
			if reasoning {
				reasoning = false
				s.endLine()
			}
			s.write(ch.Text)
		case ch.ToolCall != nil:
			s.endLine()
			s.say(s.st.tool("  ┌ "+ch.ToolCall.Name) + " " + string(ch.ToolCall.Input))
		case ch.ToolResult != nil:
			s.endLine()
			s.say(s.st.tool("  └ ") + resultText(ch.ToolResult))
		}
		if ch.Usage != nil {
			addUsage(&usage, *ch.Usage)
		}
		if ch.StopReason != "" {
			stop = ch.StopReason
		}
	}
	end = time.Now()
	cancel()
	stopped := interrupted() && failure != nil // an interrupt after the last chunk changes nothing
	s.endLine()
	switch {
	case stopped:
		s.say(s.st.dim("stopped; this turn is not kept in the conversation"))
		return
	case failure != nil:
		s.say(s.st.err(Describe(failure)))
		return
	}
	s.pending = nil
	s.turns++
	addUsage(&s.total, usage)
	line := statusLine(usage, start, first, end)
	if stop != "" && stop != types.StopReasonEndTurn {
		line += " · stop " + string(stop) // e.g. max_tokens: the answer was cut
	}
	s.say(s.st.dim(line))
}

// watch cancels the turn on an interrupt. The returned function reports,
// after the turn, whether that happened; it waits for the watcher to end.
func (s *session) watch(ctx context.Context, cancel context.CancelFunc) func() bool {
	if s.o.Interrupts == nil {
		return func() bool { return false }
	}
	// An interrupt left over from before this turn must not stop it.
	for drained := false; !drained; {
		select {
		case <-s.o.Interrupts:
		default:
			drained = true
		}
	}
	hit := make(chan bool, 1)
	go func() {
		select {
		case <-s.o.Interrupts:
			cancel()
			hit <- true
		case <-ctx.Done():
			hit <- false
		}
	}()
	return func() bool { return <-hit }
}

func addUsage(dst *chat.Usage, u chat.Usage) {
	dst.InputTokens += u.InputTokens
	dst.OutputTokens += u.OutputTokens
	dst.TotalTokens += u.TotalTokens
	dst.CacheReadInputTokens += u.CacheReadInputTokens
	dst.CacheWriteInputTokens += u.CacheWriteInputTokens
}

// statusLine is the line after a turn: tokens, time to first token and
// output speed (output tokens over the time from first token to the end).
func statusLine(u chat.Usage, start, first, end time.Time) string {
	ttft, tps := "–", "–"
	if !first.IsZero() {
		ttft = first.Sub(start).Round(time.Millisecond).String()
		if d := end.Sub(first).Seconds(); d > 0 && u.OutputTokens > 0 {
			tps = fmt.Sprintf("%.1f", float64(u.OutputTokens)/d)
		}
	}
	return fmt.Sprintf("in %d · out %d · cache read %d · cache write %d · ttft %s · %s tok/s",
		u.InputTokens, u.OutputTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens, ttft, tps)
}

// write prints streamed text as it comes.
func (s *session) write(text string) {
	if text == "" {
		return
	}
	io.WriteString(s.o.Out, text)
	s.atLineStart = strings.HasSuffix(text, "\n")
}

// endLine ends a line left open by streamed text.
func (s *session) endLine() {
	if !s.atLineStart {
		io.WriteString(s.o.Out, "\n")
		s.atLineStart = true
	}
}

// say prints one line.
func (s *session) say(line string) {
	s.endLine()
	io.WriteString(s.o.Out, line+"\n")
}
