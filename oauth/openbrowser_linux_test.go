//go:build linux

package oauth

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The program $BROWSER names is the user's: it keeps running when the
// login that started it is over (its ctx done), in a process group of its
// own so that the terminal's Ctrl-C does not reach it.
func TestOpenBrowserLeavesTheBrowserAlone(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 60\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", script)
	u := "http://127.0.0.1:1/auth?state=" + filepath.Base(dir) // unique: finds the process
	ctx, cancel := context.WithCancel(t.Context())
	if err := openBrowser(ctx, u); err != nil {
		t.Fatal(err)
	}
	pid := processWithArg(t, u)
	t.Cleanup(func() { _ = unix.Kill(-pid, unix.SIGKILL) })
	cancel() // the login is over

	if pgid, err := unix.Getpgid(pid); err != nil || pgid != pid || pgid == unix.Getpgrp() {
		t.Errorf("browser's process group = %d (%v), want its own (%d), not ours (%d)", pgid, err, pid, unix.Getpgrp())
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// A pidfd becomes readable when the process exits; a killed browser
	// would within microseconds.
	n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 300)
	if err != nil || n != 0 {
		t.Errorf("the browser exited after the login's ctx was done (poll = %d, %v)", n, err)
	}
}

// processWithArg returns the pid of the process whose command line holds
// arg.
func processWithArg(t *testing.T, arg string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), arg) {
			return pid
		}
	}
	t.Fatalf("no process with %q in its command line", arg)
	return 0
}
