package repl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/conversekit/converse/chat"
)

// maxAttachment bounds what /image and /doc read: Bedrock's own limit for
// a document is 4.5 MB and for an image 3.75 MB; 25 MB leaves the
// verdict to the service while keeping a wrong path (a disk image) out.
const maxAttachment = 25 << 20

// commands, in the order /help lists them.
var commands = []struct{ name, args, help string }{
	{"/model", "[ID]", "show or change the model"},
	{"/system", "[TEXT|-]", "show, set or (with -) remove the system prompt"},
	{"/image", "PATH", "attach an image to the next message"},
	{"/doc", "PATH", "attach a document to the next message"},
	{"/tools", "[on|off]", "list the demo tools (calculator, clock), turn them on or off"},
	{"/cache", "[STRATEGY]", "show or set prompt caching: none, system, tools, system+tools, history"},
	{"/clear", "", "forget the conversation and attachments"},
	{"/save", "FILE", "write the conversation as Converse JSON messages"},
	{"/load", "FILE", "replace the conversation with one /save wrote"},
	{"/usage", "", "token totals of this session"},
	{"/help", "", "this list"},
	{"/quit", "", "leave (also Ctrl-D, or Ctrl-C at the prompt)"},
}

// command runs one slash command; it reports whether to leave.
func (s *session) command(ctx context.Context, line string) (quit bool) {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(name) {
	case "/quit", "/exit", "/q":
		return true
	case "/help", "/?":
		for _, c := range commands {
			s.say(fmt.Sprintf("  %-26s %s", c.name+" "+c.args, c.help))
		}
		s.say(s.st.dim("  A line ending in \\ continues on the next line; a pasted block is sent with one more Enter."))
		s.say(s.st.dim("  Ctrl-C stops an answer; Ctrl-C at the prompt or Ctrl-D leaves."))
	case "/model":
		if arg != "" {
			s.model = arg
		}
		s.note("model " + s.model)
	case "/system":
		switch arg {
		case "":
		case "-":
			s.system = ""
		default:
			s.system = arg
		}
		if s.system == "" {
			s.note("no system prompt")
		} else {
			s.note("system prompt: " + s.system)
		}
	case "/image", "/doc":
		s.attach(name == "/image", arg)
	case "/tools":
		switch strings.ToLower(arg) {
		case "":
		case "on":
			s.tools = true
		case "off":
			s.tools = false
		default:
			s.fail("/tools takes on or off")
			return false
		}
		state := "off (/tools on to offer them)"
		switch {
		case s.tools:
			state = "on"
		case s.history.hasTools():
			state = "off, but still declared: the conversation holds tool calls, and Bedrock needs their tools (/clear ends that)"
		}
		s.note("demo tools " + state + ":")
		for _, t := range demoTools(s.o.Now) {
			s.say(fmt.Sprintf("  %-11s %s", t.Name(), toolHelp[t.Name()]))
		}
	case "/cache":
		if arg != "" {
			st, ok := parseStrategy(arg)
			if !ok {
				s.fail(fmt.Sprintf("unknown cache strategy %q: want none, system, tools, system+tools or history (%s)", arg, strings.Join(strategyNames(), ", ")))
				return false
			}
			s.cache = st
		}
		s.note("cache strategy " + s.cache.String())
		if arg == "" {
			s.note("  strategies: " + strings.Join(strategyNames(), ", ") + " (or none, system, tools, system+tools, history)")
		}
	case "/clear":
		_ = s.history.Clear(ctx, "")
		s.pending = nil
		s.note("conversation cleared")
	case "/save":
		s.save(arg)
	case "/load":
		s.load(arg)
	case "/usage":
		s.note(fmt.Sprintf("session: %d turns · in %d · out %d · cache read %d · cache write %d · total %d",
			s.turns, s.total.InputTokens, s.total.OutputTokens, s.total.CacheReadInputTokens, s.total.CacheWriteInputTokens, s.total.TotalTokens))
	default:
		s.fail(fmt.Sprintf("unknown command %s (/help lists them)", name))
	}
	return false
}

func (s *session) note(line string) { s.say(s.st.dim(line)) }
func (s *session) fail(line string) { s.say(s.st.err(line)) }

func (s *session) attach(image bool, path string) {
	if path == "" {
		s.fail("give a file: /image PATH or /doc PATH")
		return
	}
	path = expandHome(path)
	data, err := readBounded(path)
	if err != nil {
		s.fail(err.Error())
		return
	}
	kind, m := "document", chat.Document(filepath.Base(path), data)
	if image {
		kind, m = "image", chat.Image(data)
	}
	if err := m.Err(); err != nil {
		s.fail(fmt.Sprintf("%s: %v", path, err))
		return
	}
	a := attachment{what: fmt.Sprintf("%s %s (%s)", kind, filepath.Base(path), size(len(data))), media: m}
	s.pending = append(s.pending, a)
	s.note("attached " + a.what + " to the next message")
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxAttachment+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxAttachment {
		return nil, fmt.Errorf("%s is larger than %s", path, size(maxAttachment))
	}
	return data, nil
}

func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *session) save(path string) {
	if path == "" {
		s.fail("give a file: /save FILE")
		return
	}
	raw, err := chat.MarshalMessages(s.history.msgs)
	var data bytes.Buffer
	if err == nil {
		err = json.Indent(&data, raw, "", "  ")
	}
	if err != nil {
		s.fail(err.Error())
		return
	}
	// Conversations are private: readable by the user only.
	if err := os.WriteFile(expandHome(path), append(data.Bytes(), '\n'), 0o600); err != nil {
		s.fail(err.Error())
		return
	}
	s.note(fmt.Sprintf("saved %d messages to %s", len(s.history.msgs), path))
}

func (s *session) load(path string) {
	if path == "" {
		s.fail("give a file: /load FILE")
		return
	}
	data, err := os.ReadFile(expandHome(path))
	if err != nil {
		s.fail(err.Error())
		return
	}
	msgs, err := chat.UnmarshalMessages(data)
	if err != nil {
		s.fail(fmt.Sprintf("%s: %v", path, err))
		return
	}
	// Shaped as Bedrock accepts a history (alternating roles, starting
	// with a user turn), so a hand-edited file cannot break the next turn.
	s.history.msgs = chat.Window(msgs, len(msgs))
	s.pending = nil
	s.note(fmt.Sprintf("loaded %d messages from %s", len(s.history.msgs), path))
}

// strategies are the chat package's cache strategies, by their names
// (CacheStrategy.String) and short forms.
var strategyAliases = map[string]chat.CacheStrategy{
	"none":         chat.CacheNone,
	"off":          chat.CacheNone,
	"system":       chat.CacheSystemOnly,
	"tools":        chat.CacheToolsOnly,
	"system+tools": chat.CacheSystemAndTools,
	"history":      chat.CacheConversationHistory,
}

func strategyNames() []string {
	var out []string
	for st := chat.CacheNone; st <= chat.CacheConversationHistory; st++ {
		out = append(out, st.String())
	}
	return out
}

func parseStrategy(arg string) (chat.CacheStrategy, bool) {
	for st := chat.CacheNone; st <= chat.CacheConversationHistory; st++ {
		if strings.EqualFold(arg, st.String()) {
			return st, true
		}
	}
	st, ok := strategyAliases[strings.ToLower(arg)]
	return st, ok
}
