// Package termtext makes text that a server or a file chose safe to print
// on a terminal: no control character, escape sequence or bidirectional
// override in it reaches the terminal as itself.
//
// A terminal acts on what it is sent: ESC starts a sequence that can change
// the window's title, clear the screen, move the cursor or make a fake link
// (OSC 8); CR rewrites the line; a byte 0x9B is a CSI on terminals that
// take 8-bit controls; a right-to-left override reorders what follows.
// Escape writes each of these as a visible escape instead, so that what is
// printed is what was received, and nothing more happens.
package termtext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every character that a terminal could act on
// written as a Go-style escape: C0 controls, DEL and bytes that are not
// UTF-8 as \xNN (ESC is \x1b, CR \x0d), C1 controls and the bidirectional
// formatting characters as \uNNNN. Everything else, and s itself when it
// has none of them, is returned as it is.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f:
			b.WriteString(`\x`)
			writeHex(&b, uint64(s[i]), 2)
		case isC1(r), isBidi(r):
			b.WriteString(`\u`)
			writeHex(&b, uint64(r), 4)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || isC1(r) || isBidi(r) {
			return true
		}
		i += size
	}
	return false
}

// isC1 reports the C1 control characters, U+0080 to U+009F: U+009B is
// CSI and U+009D is OSC on terminals that take them.
func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// isBidi reports the characters that change the direction of the text
// after them (Unicode's Bidi_Control), which can make a host name or a
// code read other than it is.
func isBidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func writeHex(b *strings.Builder, v uint64, width int) {
	h := strconv.FormatUint(v, 16)
	for range width - len(h) {
		b.WriteByte('0')
	}
	b.WriteString(h)
}
