package httpsession

import (
	"bytes"
	"strings"
	"testing"
)

// hostileText drives a terminal: an OSC 8 fake link, a title change, a
// screen clear and a CR that rewrites the line.
const hostileText = "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\\x1b]0;t\x07\x1b[2J\rY"

func holdsControls(s string) bool { return strings.ContainsAny(s, "\x1b\r\x07") }

// TestServerTextEscapedInMessages: a rejected cookie's domain (from a
// server or a file) and a device login's user code and verification URI
// (from the server) never bring a control character into an error or onto
// the terminal; they appear escaped.
func TestServerTextEscapedInMessages(t *testing.T) {
	ce := &CookieError{Name: "sid", Domain: "evil" + hostileText + ".example", Reason: "domain is not the host's"}
	if msg := ce.Error(); holdsControls(msg) || !strings.Contains(msg, `evil\x1b]8;;`) {
		t.Errorf("CookieError.Error() = %q, want the domain escaped", msg)
	}

	var buf bytes.Buffer
	(&OAuth2Device{Stderr: &buf}).printPrompt(DeviceCode{
		UserCode:                "ABCD" + hostileText,
		VerificationURI:         "https://idp.example/device" + hostileText,
		VerificationURIComplete: "https://idp.example/device?c=1" + hostileText,
	})
	if out := buf.String(); holdsControls(out) || !strings.Contains(out, `ABCD\x1b]8;;`) {
		t.Errorf("device prompt = %q, want the server's text escaped", out)
	}
}
