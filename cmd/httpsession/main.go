// Command httpsession drives an httpsession session from the shell: curl-like
// requests that keep their cookies and bearer token in a session file, a
// login command, cookie and token inspection, and a demo of the library.
//
// Usage:
//
//	httpsession demo [--file F] [--fresh]
//	httpsession get|post URL [flags]
//	httpsession do -X METHOD URL [flags]
//	httpsession login --session F --kind json|oauth2-password|oauth2-client [flags]
//	httpsession cookies list|import|export|rm|clear --session F [flags]
//	httpsession cookies import --session F --from-browser firefox|chromium|chrome|edge|brave [--profile P] [--domain D]
//	httpsession cookies browsers
//	httpsession token show|refresh --session F
//	httpsession session encrypt|decrypt --session F --key-file K
//	httpsession session reset --session F
//	httpsession --version
//
// Run "httpsession help" or "httpsession COMMAND -h" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/httpsession/httpsession/internal/termtext"
)

// exitUsage is the exit code for a command line that can't be run.
const exitUsage = 2

// usageError marks an error in the command line itself (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// env is what a command runs with: its streams and environment, so tests
// and main share one code path.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// keys are the command's key flags (see encrypt.go), set where the
	// command declares --session.
	keys *keyFlags
	// sess are the command's --fresh and --drop-session-cookies, set
	// where the command declares --session.
	sess *sessionFlags
	// verbose is -v: the library's debug log, retries and each hop on
	// standard error.
	verbose bool
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"demo", "run a full session against a built-in loopback API", runDemo},
		{"get", "GET a URL through the session", runRequest("GET")},
		{"post", "POST to a URL through the session", runRequest("POST")},
		{"do", "send a request with any method (-X) through the session", runRequest("")},
		{"login", "log in with a ready-made authenticator and save the session", runLogin},
		{"cookies", "list, import (cookies.txt, storageState, a browser), export, remove or clear cookies", runCookies},
		{"token", "show or refresh the session's token", runToken},
		{"session", "encrypt the session file with age, decrypt it, or reset a corrupt one", runSession},
	}
}

// version is the command's version, set at build time with
// -ldflags "-X main.version=v1.2.3"; else the module's version as go
// install recorded it.
var version = ""

// exitInterrupted is the exit code after Ctrl-C (128 + SIGINT), as shells
// and curl use.
const exitInterrupted = 130

func main() {
	// SIGTERM (kill, a service manager, a container stopping) ends a
	// command the way Ctrl-C does: through its context, so that what it
	// cleans up on return (an unfinished -o file, the temporary copy of a
	// browser's cookie database) is cleaned up, and the exit code is 130.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func versionString() string {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return "httpsession " + v + " " + runtime.Version()
}

// run executes one command line and returns the process exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" || args[0] == "version" {
		fmt.Fprintln(e.stdout, versionString())
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case ctx.Err() != nil && errors.Is(err, context.Canceled):
			// Ctrl-C, during a transfer or a wait: one line, whatever
			// was under way.
			fmt.Fprintln(e.stderr, "httpsession "+c.name+": interrupted")
			return exitInterrupted
		case errors.As(err, new(*usageError)):
			fmt.Fprintf(e.stderr, "httpsession %s: %v\n", c.name, err)
			return exitUsage
		case errors.As(err, new(*exitError)):
			var x *exitError
			errors.As(err, &x)
			if x.msg != "" {
				fmt.Fprintln(e.stderr, x.msg)
			}
			return x.code
		default:
			fmt.Fprintln(e.stderr, oneLine(c.name, err))
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "httpsession: unknown command %q\n", args[0])
	printUsage(e.stderr)
	return exitUsage
}

// exitError ends a command with a specific exit code (for --fail).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// oneLine renders err for the terminal: one line, the library's own
// "httpsession:" prefix not repeated, and any control character that a
// server's or a file's text brought into it escaped.
func oneLine(cmd string, err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", "; ")
	msg = strings.TrimPrefix(msg, "httpsession: ")
	return "httpsession " + cmd + ": " + termtext.Escape(msg)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: httpsession COMMAND [flags] [args]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "httpsession COMMAND -h" for a command's flags, "httpsession --version" for the version.`)
	fmt.Fprintln(w, "Exit codes: 0 success, 1 any runtime error, 2 a usage error, 22 an HTTP status >= 400 with --fail, 130 interrupted.")
}

// parseInterleaved parses flags that may come before or after positional
// arguments ("get URL -i" as well as "get -i URL") and returns the
// positional ones. -h prints the command's help; a bad flag is a usage
// error that run prints once.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(helpWanted{})
			fs.Usage()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("%v (see \"httpsession %s -h\")", err, fs.Name())}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses flags for a command that takes no positional
// arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseInterleaved(fs, args)
	if err == nil && len(pos) > 0 {
		err = usagef("unexpected argument %q", pos[0])
	}
	return err
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its help, on -h only, to e.stderr; notes, if any, follow the
// flags.
func newFlagSet(e *env, name, usage string, notes ...string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse errors reach the user once, through run
	fs.Usage = func() {
		if _, ok := fs.Output().(helpWanted); !ok {
			return // a parse error, which run prints alone
		}
		fmt.Fprintf(e.stderr, "usage: httpsession %s\n", usage)
		fs.SetOutput(e.stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		for _, n := range notes {
			fmt.Fprintln(e.stderr)
			fmt.Fprintln(e.stderr, n)
		}
	}
	return fs
}

// helpWanted is the output of a FlagSet whose help was asked for (-h):
// only then does its Usage print.
type helpWanted struct{}

func (helpWanted) Write(b []byte) (int, error) { return len(b), nil }

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
