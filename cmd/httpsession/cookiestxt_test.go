package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/httpsession/httpsession"
)

// TestImportNetscapeReport checks that every line that yields no cookie is
// reported with its number and reason, and the others are kept.
func TestImportNetscapeReport(t *testing.T) {
	in := "# Netscape HTTP Cookie File\n" +
		"\n" +
		".example.com\tTRUE\t/\tFALSE\t0\tkept\t1\n" +
		"#HttpOnly_www.example.org\tFALSE\t/\tTRUE\t0\tkept2\t2\n" +
		".co.uk\tTRUE\t/\tFALSE\t0\tsuffix\tx\n" +
		"example.com\tFALSE\t/\tFALSE\t0\t__Host-x\ty\n" +
		"garbage line\n" +
		"example.com\tFALSE\t/\tFALSE\t1\told\tz\n" +
		strings.Repeat("x", 16<<10+10) + "\n"
	got, err := importNetscape(httpsession.NewJar(nil), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := importReport{Kept: 2, Session: 2, Rejected: []lineError{
		{Line: 5, Name: "suffix", Domain: "co.uk", Reason: "domain is a public suffix"},
		{Line: 6, Name: "__Host-x", Domain: "example.com", Reason: "cookie prefix rules not met"},
		{Line: 7, Reason: "malformed"},
		{Line: 8, Name: "old", Domain: "example.com", Reason: "expired"},
		{Line: 9, Reason: "line too long"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("importNetscape report mismatch (-want +got):\n%s", diff)
	}
}
