//go:build !unix

package oauth

import "os/exec"

// detach does nothing here: a process started on Windows is not ended with
// the console's Ctrl-C unless it shares the console's input.
func detach(*exec.Cmd) {}
