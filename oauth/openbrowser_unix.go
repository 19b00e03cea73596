//go:build unix

package oauth

import (
	"os/exec"
	"syscall"
)

// detach starts cmd in a process group of its own, so that the Ctrl-C
// that ends the program (sent to the terminal's foreground group) does not
// close the browser it opened.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }
