package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeCLI is the CLI section of README.md.
func readmeCLI(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	start := strings.Index(s, "\n## CLI\n")
	if start < 0 {
		t.Fatal("README.md has no CLI section")
	}
	end := strings.Index(s[start+1:], "\n## ")
	if end < 0 {
		return s[start:]
	}
	return s[start : start+1+end]
}

// helpFlags runs "httpsession ARGS -h" and returns the flags its help
// lists.
func helpFlags(t *testing.T, args ...string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), e, append(args, "-h")); code != 0 {
		t.Fatalf("%q -h: exit %d, %s", args, code, errb.String())
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([\w-]+)`).FindAllStringSubmatch(errb.String(), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 && !strings.Contains(errb.String(), "subcommands:") {
		t.Fatalf("%q -h lists no flag:\n%s", args, errb.String())
	}
	return flags
}

// TestREADMEListsEveryCommandAndFlag: the CLI section of README.md names
// every command, subcommand and flag the command has, so that it cannot
// fall behind them.
func TestREADMEListsEveryCommandAndFlag(t *testing.T) {
	doc := readmeCLI(t)
	mentions := func(flag string) bool {
		dashes := "--"
		if len(flag) == 1 {
			dashes = "-"
		}
		return regexp.MustCompile("(^|[\\s\\[|(/,`])" + regexp.QuoteMeta(dashes+flag) + "($|[\\s\\]|)=,./:`])").MatchString(doc)
	}
	for _, c := range commands() {
		var lines [][]string
		if subs, ok := subcommands[c.name]; ok {
			for _, s := range subs {
				if !regexp.MustCompile(`(?m)^httpsession ` + c.name + ` [^\n]*\b` + s.name + `\b`).MatchString(doc) {
					t.Errorf("README's CLI section has no line for httpsession %s %s", c.name, s.name)
				}
				lines = append(lines, []string{c.name, s.name})
			}
		} else {
			if !regexp.MustCompile(`(?m)^httpsession [^\n]*\b` + c.name + `\b`).MatchString(doc) {
				t.Errorf("README's CLI section has no line for httpsession %s", c.name)
			}
			lines = append(lines, []string{c.name})
		}
		for _, args := range lines {
			for _, f := range helpFlags(t, args...) {
				if !mentions(f) {
					t.Errorf("README's CLI section does not mention %s's flag -%s", strings.Join(args, " "), f)
				}
			}
		}
	}
}

// TestGitignoreCoversDemoFiles: what "httpsession demo" leaves in the
// directory it runs in (the repository's root, in a checkout) is
// ignored by git: the session file, its save and refresh locks, the key
// of --encrypt and a corrupt file moved aside.
func TestGitignoreCoversDemoFiles(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", ".lock", ".refresh.lock", ".key", ".corrupt-20300102T030405"} {
		name := "httpsession-demo.json" + suffix
		cmd := exec.Command(git, "-C", root, "check-ignore", "--no-index", "-q", name)
		if err := cmd.Run(); err != nil {
			t.Errorf(".gitignore does not cover the demo's %s (git check-ignore: %v)", name, err)
		}
		// A file committed before the rule is tracked all the same.
		if out, err := exec.Command(git, "-C", root, "ls-files", "--", name).Output(); err == nil && len(out) > 0 {
			t.Errorf("the demo's %s is committed: .gitignore does not keep it out of commits", name)
		}
	}
}
