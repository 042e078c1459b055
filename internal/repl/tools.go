package repl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/conversekit/converse/chat"
)

// The demo tools' descriptions avoid everyday words: converse's built-in
// model calls a tool whose name or description shares a word with the
// question, and a real model reads them too.
const (
	calculatorHelp = "Calculator: evaluates an arithmetic expression with + - * / ^ % and parentheses, e.g. (2+3)*4.5"
	clockHelp      = "Clock: date and time in an IANA time zone such as Europe/Paris (default: the local zone)"
)

var toolHelp = map[string]string{"calculator": calculatorHelp, "clock": clockHelp}

type calculatorInput struct {
	Expression string `json:"expression" jsonschema:"the arithmetic expression, e.g. (2+3)*4.5"`
}

type clockInput struct {
	Zone string `json:"zone,omitempty" jsonschema:"IANA time zone name such as Europe/Paris; omit for the local zone"`
}

type clockOutput struct {
	Time    string `json:"time"`
	Weekday string `json:"weekday"`
	Zone    string `json:"zone"`
}

// demoTools are what /tools on offers the model.
func demoTools(now func() time.Time) []chat.Tool {
	return []chat.Tool{
		chat.NewTool("calculator", calculatorHelp, func(_ context.Context, in calculatorInput) (float64, error) {
			return calculate(in.Expression)
		}),
		chat.NewTool("clock", clockHelp, func(_ context.Context, in clockInput) (clockOutput, error) {
			loc := time.Local
			if in.Zone != "" {
				l, err := time.LoadLocation(in.Zone)
				if err != nil {
					return clockOutput{}, fmt.Errorf("unknown time zone %q", in.Zone)
				}
				loc = l
			}
			t := now().In(loc)
			return clockOutput{Time: t.Format(time.RFC3339), Weekday: t.Weekday().String(), Zone: loc.String()}, nil
		}),
	}
}

// resultText renders a tool result for its card.
func resultText(r *chat.ToolResult) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	if s, ok := r.Output.(string); ok {
		return s
	}
	b, err := json.Marshal(r.Output)
	if err != nil {
		return fmt.Sprint(r.Output)
	}
	return string(b)
}

// calculate evaluates the arithmetic in text. A model sends just the
// expression; the longest run of arithmetic characters is taken, so
// "what is 6*7?" works too.
func calculate(text string) (float64, error) {
	expr := arithmetic(text)
	if expr == "" {
		return 0, fmt.Errorf("no arithmetic expression in %q", text)
	}
	p := &parser{s: strings.ReplaceAll(expr, " ", "")}
	v, err := p.sum()
	if err == nil && p.i < len(p.s) {
		err = fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	if err != nil {
		return 0, fmt.Errorf("expression %q: %w", expr, err)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("expression %q has no finite value", expr)
	}
	return v, nil
}

func arithmetic(text string) string {
	isArith := func(r rune) bool { return strings.ContainsRune("0123456789.+-*/^%() ", r) }
	best, cur := "", []rune{}
	flush := func() {
		c := strings.TrimSpace(string(cur))
		if strings.ContainsAny(c, "0123456789") && len(c) > len(best) {
			best = c
		}
		cur = cur[:0]
	}
	for _, r := range text {
		switch {
		case r == '×':
			r = '*'
		case r == '÷':
			r = '/'
		}
		if isArith(r) {
			cur = append(cur, r)
			continue
		}
		flush()
	}
	flush()
	return best
}

// parser is a recursive-descent evaluator: sum = product {(+|-) product},
// product = power {(*|/|%) power}, power = unary [^ power],
// unary = [-|+] unary | number | ( sum ).
type parser struct {
	s     string
	i     int
	depth int
}

var errTooDeep = errors.New("nested too deeply")

func (p *parser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) sum() (float64, error) {
	v, err := p.product()
	for err == nil && (p.peek() == '+' || p.peek() == '-') {
		op := p.peek()
		p.i++
		var w float64
		if w, err = p.product(); op == '+' {
			v += w
		} else {
			v -= w
		}
	}
	return v, err
}

func (p *parser) product() (float64, error) {
	v, err := p.power()
	for err == nil && strings.IndexByte("*/%", p.peek()) >= 0 && p.peek() != 0 {
		op := p.peek()
		p.i++
		var w float64
		if w, err = p.power(); err != nil {
			break
		}
		switch op {
		case '*':
			v *= w
		case '/', '%':
			if w == 0 {
				return 0, errors.New("division by zero")
			}
			if op == '/' {
				v /= w
			} else {
				v = math.Mod(v, w)
			}
		}
	}
	return v, err
}

func (p *parser) power() (float64, error) {
	v, err := p.unary()
	if err == nil && p.peek() == '^' {
		p.i++
		var w float64
		if w, err = p.power(); err == nil {
			v = math.Pow(v, w)
		}
	}
	return v, err
}

func (p *parser) unary() (float64, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 100 {
		return 0, errTooDeep
	}
	switch c := p.peek(); {
	case c == '-' || c == '+':
		p.i++
		v, err := p.unary()
		if c == '-' {
			v = -v
		}
		return v, err
	case c == '(':
		p.i++
		v, err := p.sum()
		if err != nil {
			return 0, err
		}
		if p.peek() != ')' {
			return 0, errors.New("missing )")
		}
		p.i++
		return v, nil
	}
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
		p.i++
	}
	if start == p.i {
		if p.i >= len(p.s) {
			return 0, errors.New("ends too early")
		}
		return 0, fmt.Errorf("unexpected %q at %d", p.s[p.i], p.i)
	}
	return strconv.ParseFloat(p.s[start:p.i], 64)
}
