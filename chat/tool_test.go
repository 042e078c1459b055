package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"

	"github.com/conversekit/converse/chat"
	"github.com/conversekit/converse/internal/wire"
)

type weatherIn struct {
	Location string `json:"location" jsonschema:"City or state name"`
	Unit     string `json:"unit,omitempty" jsonschema:"C or F"`
}

type weatherOut struct {
	Temp float64 `json:"temp"`
	Unit string  `json:"unit"`
}

// rendezvous makes n tool calls wait for each other: it passes only if they
// run at the same time.
type rendezvous struct {
	mu      sync.Mutex
	arrived int
	n       int
	all     chan struct{}
}

func newRendezvous(n int) *rendezvous { return &rendezvous{n: n, all: make(chan struct{})} }

func (r *rendezvous) wait(ctx context.Context) error {
	r.mu.Lock()
	r.arrived++
	if r.arrived == r.n {
		close(r.all)
	}
	r.mu.Unlock()
	select {
	case <-r.all:
		return nil
	case <-time.After(5 * time.Second):
		return errors.New("the other calls of the turn did not run in parallel")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// toolResults returns the toolResult blocks of the last user message.
func toolResults(t *testing.T, req *wire.ConverseRequest) []*wire.ToolResultBlock {
	t.Helper()
	last := req.Messages[len(req.Messages)-1]
	var out []*wire.ToolResultBlock
	for _, b := range last.Content {
		if b.ToolResult != nil {
			out = append(out, b.ToolResult)
		}
	}
	return out
}

func resultText(r *wire.ToolResultBlock) string {
	var parts []string
	for _, c := range r.Content {
		switch {
		case c.Text != nil:
			parts = append(parts, *c.Text)
		case c.JSON != nil:
			parts = append(parts, string(c.JSON))
		}
	}
	return strings.Join(parts, "|")
}

func TestToolLoop(t *testing.T) {
	for _, mode := range []string{"call", "stream"} {
		t.Run(mode, func(t *testing.T) {
			meet := newRendezvous(2)
			var ran sync.Map
			weather := chat.NewTool("weather", "Get the weather in location",
				func(ctx context.Context, in weatherIn) (weatherOut, error) {
					ran.Store(in.Location, true)
					if err := meet.wait(ctx); err != nil {
						return weatherOut{}, err
					}
					if in.Location == "Atlantis" {
						return weatherOut{}, errors.New("no such place")
					}
					return weatherOut{Temp: float64(len(in.Location)), Unit: "C"}, nil
				})
			clock := chat.NewTool("clock", "Current time", func(context.Context, struct{}) (string, error) {
				return "noon", nil
			})
			s := &script{answer: func(_ context.Context, n int, req *wire.ConverseRequest) (*wire.ConverseResponse, error) {
				switch n {
				case 1:
					return toolAnswer(
						toolUse{"t1", "weather", map[string]any{"location": "Amsterdam"}},
						toolUse{"t2", "weather", map[string]any{"location": "Atlantis"}},
						toolUse{"t3", "weather", map[string]any{"place": "Paris"}}, // invalid: no location
						toolUse{"t4", "clock", nil},                                // no input at all
						toolUse{"t5", "nosuch", map[string]any{}},
					), nil
				default:
					return textAnswer("It is 9C in Amsterdam."), nil
				}
			}}
			c := newClient(t, start(t, s), chat.WithTools(weather))
			p := c.Prompt("Weather in Amsterdam and Atlantis?").Tools(clock)
			var text string
			var calls []string
			switch mode {
			case "call":
				resp, err := p.Call(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				text = resp.Text
				if resp.Usage.InputTokens != 30 || resp.Usage.OutputTokens != 13 {
					t.Errorf("usage %+v, want the two rounds summed (30 in, 13 out)", resp.Usage)
				}
				if len(resp.Messages) != 4 {
					t.Errorf("%d messages added, want user, tool request, results, answer", len(resp.Messages))
				}
			case "stream":
				var b strings.Builder
				for ch, err := range p.Stream(t.Context()) {
					if err != nil {
						t.Fatal(err)
					}
					b.WriteString(ch.Text)
					if ch.ToolCall != nil {
						calls = append(calls, ch.ToolCall.Name+string(ch.ToolCall.Input))
					}
				}
				text = b.String()
			}
			if !strings.HasSuffix(text, "It is 9C in Amsterdam.") {
				t.Errorf("text %q, want the final answer", text)
			}
			reqs := s.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d model calls, want 2", len(reqs))
			}
			if mode == "stream" {
				want := []string{`weather{"location":"Amsterdam"}`, `weather{"location":"Atlantis"}`, `weather{"place":"Paris"}`, `clock{}`, `nosuch{}`}
				if diff := cmp.Diff(want, calls); diff != "" {
					t.Errorf("assembled tool calls (-want +got):\n%s", diff)
				}
			}
			// The tool request went back as the model sent it, input assembled.
			asked := reqs[1].Messages[1]
			if asked.Role != wire.ConversationRoleAssistant || asked.Content[1].ToolUse == nil || string(asked.Content[1].ToolUse.Input) != `{"location":"Amsterdam"}` {
				t.Errorf("assistant turn sent back: %s", asJSON(t, asked))
			}
			if in := string(asked.Content[4].ToolUse.Input); in != "{}" {
				t.Errorf("clock input %s, want {}", in)
			}
			type result struct{ ID, Status, Text string }
			var got []result
			for _, r := range toolResults(t, reqs[1]) {
				got = append(got, result{r.ToolUseID, string(r.Status), resultText(r)})
			}
			want := []result{
				{"t1", "success", `{"temp":9,"unit":"C"}`},
				{"t2", "error", "no such place"},
				{"t3", "error", "invalid arguments: "},
				{"t4", "success", "noon"},
				{"t5", "error", `unknown tool "nosuch"`},
			}
			if len(got) != len(want) {
				t.Fatalf("results %+v", got)
			}
			for i := range want {
				if got[i].ID != want[i].ID || got[i].Status != want[i].Status || !strings.HasPrefix(got[i].Text, want[i].Text) {
					t.Errorf("result %d = %+v, want %+v", i, got[i], want[i])
				}
			}
			if _, ok := ran.Load("Paris"); ok {
				t.Error("the tool ran with arguments its schema rejects")
			}
			if _, ok := ran.Load(""); ok {
				t.Error("the tool ran with invalid arguments")
			}
		})
	}
}

func TestToolSchema(t *testing.T) {
	weather := chat.NewTool("weather", "Get the weather", func(context.Context, weatherIn) (string, error) { return "", nil })
	if err := weather.Err(); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(weather.Schema())
	want := `{"additionalProperties":false,"properties":{"location":{"description":"City or state name","type":"string"},"unit":{"description":"C or F","type":"string"}},"required":["location"],"type":"object"}`
	if string(raw) != want {
		t.Errorf("schema\n got %s\nwant %s", raw, want)
	}
	bad := []chat.Tool{
		chat.NewTool("bad name!", "", func(context.Context, weatherIn) (string, error) { return "", nil }),
		chat.NewTool("scalar", "", func(context.Context, int) (string, error) { return "", nil }),
		chat.NewTool("chan", "", func(context.Context, struct{ C chan int }) (string, error) { return "", nil }),
	}
	for _, tool := range bad {
		if tool.Err() == nil {
			t.Errorf("tool %q built without error", tool.Name())
		}
		if _, err := chat.New(t.Context(), chat.WithTools(tool)); err == nil {
			t.Errorf("New accepted broken tool %q", tool.Name())
		}
	}
	if _, err := chat.New(t.Context(), chat.WithTools(weather, weather)); err == nil {
		t.Error("New accepted a tool registered twice")
	}
}

func TestToolRoundsBounded(t *testing.T) {
	s := &script{answer: func(_ context.Context, n int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		return toolAnswer(toolUse{fmt.Sprintf("t%d", n), "again", nil}), nil
	}}
	again := chat.NewTool("again", "Loops forever", func(context.Context, struct{}) (string, error) { return "more", nil })
	c := newClient(t, start(t, s), chat.WithTools(again), chat.WithOptions(chat.Options{MaxToolRounds: 3}))
	_, err := c.Prompt("go").Call(t.Context())
	var re *chat.ToolRoundsError
	if !errors.As(err, &re) || re.Rounds != 3 {
		t.Fatalf("err %v, want ToolRoundsError after 3 rounds", err)
	}
	if n := len(s.requests()); n != 3 {
		t.Errorf("%d model calls, want 3", n)
	}
	var serr error
	for _, err := range c.Prompt("go").Stream(t.Context()) {
		serr = err
	}
	if !errors.As(serr, &re) {
		t.Errorf("stream err %v, want ToolRoundsError", serr)
	}
	if n := len(s.requests()); n != 6 {
		t.Errorf("%d model calls after the stream, want 6", n)
	}
}

func TestToolReturnDirect(t *testing.T) {
	s := &script{answer: func(_ context.Context, n int, _ *wire.ConverseRequest) (*wire.ConverseResponse, error) {
		if n == 1 {
			return toolAnswer(toolUse{"t1", "lookup", map[string]any{"location": "Oslo"}}), nil
		}
		return textAnswer("model was asked again"), nil
	}}
	lookup := chat.NewTool("lookup", "Look up", func(_ context.Context, in weatherIn) (string, error) {
		return "record for " + in.Location, nil
	}).ReturnDirect()
	c := newClient(t, start(t, s), chat.WithTools(lookup))
	resp, err := c.Prompt("find Oslo").Call(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "record for Oslo" || len(s.requests()) != 1 || resp.StopReason != types.StopReasonToolUse {
		t.Errorf("text %q after %d calls, stop %q; want the tool's result after 1 call", resp.Text, len(s.requests()), resp.StopReason)
	}
	// The conversation keeps the call and its result, so it stays valid.
	if n := len(resp.Messages); n != 3 || resp.Messages[2].Role != types.ConversationRoleUser {
		t.Errorf("%d messages added, want user, tool call, tool result", n)
	}
}
