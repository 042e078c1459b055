package repl

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// style applies ANSI styles, or nothing without colour.
type style struct{ on bool }

func newStyle(color bool) style { return style{on: color} }

func (s style) wrap(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) dim(text string) string    { return s.wrap("2", text) }
func (s style) err(text string) string    { return s.wrap("31", text) }
func (s style) tool(text string) string   { return s.wrap("33", text) }
func (s style) prompt(text string) string { return s.wrap("1;36", text) }

// Describe turns an error into one readable line: a Bedrock exception as
// its name and message ("ValidationException: The provided model
// identifier is invalid."), without the SDK's operation and request-ID
// preamble; anything else as its message on one line.
func Describe(err error) string {
	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		msg := api.ErrorMessage()
		if msg == "" {
			return oneLine(api.ErrorCode())
		}
		return oneLine(api.ErrorCode() + ": " + msg)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: " + oneLine(err.Error())
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// readableError carries the error chain with Describe's line as message.
type readableError struct{ err error }

func (e *readableError) Error() string { return Describe(e.err) }
func (e *readableError) Unwrap() error { return e.err }

func readable(err error) error { return &readableError{err} }
