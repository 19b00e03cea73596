package termtext

import "testing"

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain text is unchanged", "example.com", "example.com"},
		{"unicode letters are unchanged", "bücher.example ✓", "bücher.example ✓"},
		{"an OSC 8 link", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", `\x1b]8;;https://evil.example\x1b\click\x1b]8;;\x1b\`},
		{"a title change", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a screen clear", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"a carriage return", "ABCD-EFGH\rWXYZ-0000", `ABCD-EFGH\x0dWXYZ-0000`},
		{"a newline and a tab", "a\nb\tc", `a\x0ab\x09c`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"an 8-bit CSI byte", "a\x9b2Jb", `a\x9b2Jb`},
		{"a C1 CSI character", "a\u009b2J", `a\u009b2J`},
		{"a right-to-left override", "moc.\u202eevil", `moc.\u202eevil`},
		{"an isolate", "a\u2066b\u2069", `a\u2066b\u2069`},
		{"empty", "", ""},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("%s: Escape(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b]8;;x\x1b\\")
	f.Add("ok")
	f.Fuzz(func(t *testing.T, s string) {
		got := Escape(s)
		if needsEscape(got) {
			t.Errorf("Escape(%q) = %q still holds a character to escape", s, got)
		}
	})
}
