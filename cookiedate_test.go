package httpsession

import (
	"strings"
	"testing"
	"time"
)

func TestParseCookieDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339, or "" for no date
	}{
		// RFC 6265 §5.1.1 and the formats servers send.
		{"Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z"},            // RFC 1123
		{"Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37Z"},           // RFC 850
		{"Sun Nov  6 08:49:37 1994", "1994-11-06T08:49:37Z"},                 // asctime
		{"Sun, 06-Nov-1994 08:49:37 GMT", "1994-11-06T08:49:37Z"},            // Netscape
		{"Thu, 01-Jan-1970 00:00:01 GMT", "1970-01-01T00:00:01Z"},            //
		{"Wed, 09 Jun 2021 10:18:14 +0200", "2021-06-09T10:18:14Z"},          // zones are ignored
		{"9 jun 2021 1:2:3", "2021-06-09T01:02:03Z"},                         // one-digit fields
		{"JUNE 09 2021 10:18:14", "2021-06-09T10:18:14Z"},                    // long month
		{"2021 Jun 09 10:18:14", "2021-06-09T10:18:14Z"},                     // year first
		{"Tue, 31 Dec 69 23:59:59 GMT", "2069-12-31T23:59:59Z"},              // two-digit years: 0-69
		{"Tue, 31 Dec 70 23:59:59 GMT", "1970-12-31T23:59:59Z"},              // and 70-99
		{"Wed, 09 Jun 021 10:18:14 GMT", "2021-06-09T10:18:14Z"},             // three digits
		{"Fri, 31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z"},            //
		{"Thu, 29 Feb 2024 12:00:00 GMT", "2024-02-29T12:00:00Z"},            // leap day
		{"Wed, 09 Jun 2021 10:18:14 GMT;", "2021-06-09T10:18:14Z"},           // trailing junk
		{"Wed,09-Jun-2021 10:18:14GMT", "2021-06-09T10:18:14Z"},              // cramped
		{"Wed, 09 Jun 2021 10:18:14 GMT garbage 12", "2021-06-09T10:18:14Z"}, // later tokens unused
		{"", ""},
		{"now", ""},
		{"Wed, 09 Jun 2021", ""},                                 // no time
		{"Wed, Jun 2021 10:18:14 GMT", ""},                       // no day
		{"Wed, 09 2021 10:18:14 GMT", ""},                        // no month
		{"Wed, 09 Jun 10:18:14 GMT", ""},                         // no year
		{"Wed, 32 Jun 2021 10:18:14 GMT", ""},                    // day > 31
		{"Wed, 00 Jun 2021 10:18:14 GMT", ""},                    // day < 1
		{"Wed, 31 Jun 2021 10:18:14 GMT", ""},                    // no 31 June
		{"Sat, 29 Feb 2025 12:00:00 GMT", ""},                    // no leap year
		{"Wed, 09 Jun 1600 10:18:14 GMT", ""},                    // year < 1601
		{"Wed, 09 Jun 2021 24:00:00 GMT", ""},                    // hour > 23
		{"Wed, 09 Jun 2021 10:60:00 GMT", ""},                    // minute > 59
		{"Wed, 09 Jun 2021 10:00:60 GMT", ""},                    // second > 59
		{"Wed, 09 Jun 20210 10:18:14 GMT", ""},                   // five-digit year
		{"Wed, 009 Jun 2021 10:18:14 GMT", ""},                   // three-digit day is a year, then two years
		{"2021-06-09T10:18:14Z", ""},                             // ISO 8601 is not a cookie date
		{"Wed, 09 Jun 2021 100:18:14 GMT", ""},                   // three-digit hour
		{strings.Repeat("9 ", 10000) + "x", ""},                  // long input, no date
		{"Jun\xff 09\x00 2021 10:18:14", "2021-06-09T10:18:14Z"}, // non-delimiter bytes stay in tokens
	}
	for _, tc := range tests {
		got, ok := parseCookieDate(tc.in)
		var g string
		if ok {
			g = got.Format(time.RFC3339)
		}
		if g != tc.want {
			t.Errorf("parseCookieDate(%q) = %q, want %q", tc.in, g, tc.want)
		}
	}
}
