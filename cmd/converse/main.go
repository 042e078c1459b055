// Command converse serves the Amazon Bedrock Runtime API (Converse,
// ConverseStream, CountTokens) on your own machine, in front of your own
// models or the built-in one.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `converse — a Bedrock Runtime compatible server

Usage:
  converse serve [flags]   run the server (converse serve -h for flags)
  converse chat [flags]    chat with a model in the terminal, or answer a piped question
  converse version         print the version (also --version)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals(os.Args[1:])...)
	defer stop()
	// The first signal starts a graceful shutdown; unregistering then
	// lets a second one end the process at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "converse:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "chat":
		return chatCommand(ctx, args[1:], os.Stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// stopSignals end the command. In `converse chat`, Ctrl-C stops the answer
// being streamed rather than the program, so chat handles SIGINT itself.
func stopSignals(args []string) []os.Signal {
	if len(args) > 0 && args[0] == "chat" {
		return []os.Signal{syscall.SIGTERM}
	}
	return []os.Signal{os.Interrupt, syscall.SIGTERM}
}
