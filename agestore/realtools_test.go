package agestore

import (
	"os"
	"os/exec"
	"testing"
)

// needTool returns the path of a real program a test runs. Without it the
// test skips, except in CI (CI=true), where it fails: a green CI run means
// the real program was exercised.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package %s); CI must install it", name, pkg)
		}
		t.Skipf("%s not found (Debian package %s)", name, pkg)
	}
	return p
}
