package builtin

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/conversekit/converse/internal/wire"
)

func userRequest(text string) *wire.ConverseRequest {
	return &wire.ConverseRequest{Messages: []wire.Message{{Role: wire.ConversationRoleUser, Content: []wire.ContentBlock{{Text: &text}}}}}
}

// The built-in model answers short prompts the way a model would: the
// form a prompt asks for is honoured exactly, and the topic is the
// question's content word, never an instruction verb.
func TestAnswerFollowsThePrompt(t *testing.T) {
	for _, tc := range []struct {
		prompt string
		want   string // the whole answer
	}{
		{"count from 1 to 5", "1, 2, 3, 4, 5"},
		{"Count from 1 to 5.", "1, 2, 3, 4, 5"},
		{"Please count to 3", "1, 2, 3"},
		{"count down from 3 to 1", "3, 2, 1"},
		{"Say hello", "hello"},
		{"say PONG and nothing else", "PONG"},
		{`Reply with "pong"`, "pong"},
		{"Repeat after me: the quick brown fox", "the quick brown fox"},
		{"Is water wet? Answer with yes or no.", "Yes."},
		{"What is the capital of France? Answer with one word.", "France."},
		{"Describe Go in one word", "Go."},
		{"In one paragraph, who are you?", identity},
		{"Who are you", identity},
		{"Please introduce yourself.", identity},
	} {
		if got := answerText(userRequest(tc.prompt)); got != tc.want {
			t.Errorf("%q answered %q, want %q", tc.prompt, got, tc.want)
		}
	}
}

func TestAnswerLength(t *testing.T) {
	for _, tc := range []struct {
		prompt   string
		min, max int // words
	}{
		{"Hello", 2, 10},
		{"Hi!", 2, 10},
		{"hi there", 2, 10},
		{"Good morning, how are you?", 2, 10},
		{"Tell me a joke", 5, 20},
		{"What is photosynthesis?", 5, 20},
		{"Explain photosynthesis in 50 words", 45, 55},
		{"Explain photosynthesis in 10 words.", 9, 11},
		{"Describe the ocean in 300 words", 270, 330},
		{"Write about cats in two sentences", 10, 40},
		{"Explain quantum computing in one sentence.", 5, 20},
		{"Briefly, what is Kubernetes?", 5, 20},
	} {
		got := answerText(userRequest(tc.prompt))
		if n := len(strings.Fields(got)); n < tc.min || n > tc.max {
			t.Errorf("%q: %d words, want %d–%d: %q", tc.prompt, n, tc.min, tc.max, got)
		}
	}
	// "in N words" is N words within 10 %, for any N.
	for _, n := range []int{3, 7, 25, 120, 999} {
		prompt := "Summarise the history of Rome in " + itoa(n) + " words."
		got := len(strings.Fields(answerText(userRequest(prompt))))
		if math.Abs(float64(got-n)) > 0.1*float64(n) {
			t.Errorf("%q: %d words", prompt, got)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAnswerTopic(t *testing.T) {
	for _, tc := range []struct {
		prompt string
		topic  string // named in the answer
	}{
		{"Tell me about photosynthesis", "photosynthesis"},
		{"Tell me a joke", "joke"},
		{"Write a poem about the ocean", "ocean"},
		{"Please explain the benefits of event sourcing", "benefits of event sourcing"},
		{"Explain overfitting in machine learning and how to avoid it", "overfitting"},
		{"Implement quicksort in JavaScript", "quicksort"},
		{"What is the capital of France?", "capital of France"},
		{"What career advice would you give me?", "career advice"},
		{"Describe microservices architecture in detail", "microservices architecture"},
		{"Why do people like Kubernetes?", "Kubernetes"},
		{"详细解释神经网络的工作原理", "神经网络的工作原理"},
		// AWS's Converse examples for JavaScript.
		{"Describe the purpose of a 'hello world' program in one line.", "hello-world program"},
		{"Explain the meaning of life", "meaning of life"},
		{"What is the purpose of a load balancer?", "load balancer"},
	} {
		got := answerText(userRequest(tc.prompt))
		if !strings.Contains(got, tc.topic) && !strings.Contains(got, capitalise(tc.topic)) {
			t.Errorf("%q: answer does not name %q: %q", tc.prompt, tc.topic, got)
		}
		if topic := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(topicOf(tc.prompt), "a "), "an "), "the "); topic != tc.topic {
			t.Errorf("%q: topic %q, want %q", tc.prompt, topic, tc.topic)
		}
		if strings.Contains(got, "You asked") || strings.Contains(got, tc.prompt) {
			t.Errorf("%q: answer echoes the prompt: %q", tc.prompt, got)
		}
	}
}

// Instructions in the system prompt shape the answer when the question
// has none.
func TestAnswerSystemInstructions(t *testing.T) {
	req := userRequest("What is the capital of Italy?")
	req.System = []wire.SystemContentBlock{{Text: wire.Ptr("You are terse. Answer in one word.")}}
	if got := answerText(req); len(strings.Fields(got)) != 1 {
		t.Errorf("answer %q, want one word", got)
	}
}

// Questions that only look like "who are you" get an ordinary answer.
func TestAnswerIdentityOnlyWhenAsked(t *testing.T) {
	for _, q := range []string{"Who are your main competitors?", "What are you doing to fix the outage in the billing service?", "Describe yourselves as a team"} {
		if got := answerText(userRequest(q)); got == identity {
			t.Errorf("%q answered with the model's introduction", q)
		}
	}
}

// "In one line" asks for one sentence.
func TestAnswerOneLine(t *testing.T) {
	for _, q := range []string{"Describe the purpose of a 'hello world' program in one line.", "Give me a one-liner about Go"} {
		got := answerText(userRequest(q))
		if n := strings.Count(got, ". "); n != 0 || strings.Contains(got, "\n") {
			t.Errorf("%q answered %q, want one sentence", q, got)
		}
	}
}
