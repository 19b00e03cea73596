package httpsession

import "time"

// parseCookieDate implements the cookie date algorithm of RFC 6265 §5.1.1
// (RFC 6265bis §5.1.1), which accepts the many formats servers send:
// RFC 1123, RFC 850 with two-digit years, asctime, dashes instead of
// spaces, and stray words. Time zones are ignored: cookie dates are UTC.
// It is one piece because it is the RFC's algorithm, step by step, in the
// RFC's order; each step is commented with its number.
func parseCookieDate(s string) (time.Time, bool) {
	var (
		foundTime, foundDay, foundMonth, foundYear bool
		hour, minute, second, day, year            int
		month                                      time.Month
	)
	// §5.1.1 step 1: split into date-tokens at delimiters.
	for s != "" {
		i := 0
		for i < len(s) && isDateDelimiter(s[i]) {
			i++
		}
		s = s[i:]
		j := 0
		for j < len(s) && !isDateDelimiter(s[j]) {
			j++
		}
		tok := s[:j]
		s = s[j:]
		if tok == "" {
			continue
		}
		// §5.1.1 step 2: time, day-of-month, month, year, each at most once.
		if !foundTime {
			if h, m, sec, ok := parseHMS(tok); ok {
				hour, minute, second, foundTime = h, m, sec, true
				continue
			}
		}
		if !foundDay {
			if n, ok := leadingDigits(tok, 1, 2); ok {
				day, foundDay = n, true
				continue
			}
		}
		if !foundMonth {
			if m := parseMonth(tok); m != 0 {
				month, foundMonth = m, true
				continue
			}
		}
		if !foundYear {
			if n, ok := leadingDigits(tok, 2, 4); ok {
				year, foundYear = n, true
				continue
			}
		}
	}
	// §5.1.1 steps 3 and 4: two-digit years.
	switch {
	case year >= 70 && year <= 99:
		year += 1900
	case year >= 0 && year <= 69:
		year += 2000
	}
	// §5.1.1 step 5.
	if !foundTime || !foundDay || !foundMonth || !foundYear ||
		day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false
	}
	// §5.1.1 step 6: the date must exist (no 31 April).
	t := time.Date(year, month, day, hour, minute, second, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// isDateDelimiter reports whether c is a "delimiter" of RFC 6265 §5.1.1.
func isDateDelimiter(c byte) bool {
	return c == 0x09 || (c >= 0x20 && c <= 0x2F) || (c >= 0x3B && c <= 0x40) ||
		(c >= 0x5B && c <= 0x60) || (c >= 0x7B && c <= 0x7E)
}

// leadingDigits parses the digits that start tok, requiring between lo and
// hi of them; anything may follow the first non-digit (RFC 6265 §5.1.1
// "day-of-month" and "year").
func leadingDigits(tok string, lo, hi int) (int, bool) {
	n, i := 0, 0
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		if i == hi {
			return 0, false
		}
		n = n*10 + int(tok[i]-'0')
		i++
	}
	return n, i >= lo
}

// parseHMS parses "hms-time" of RFC 6265 §5.1.1: 1*2DIGIT ":" 1*2DIGIT ":"
// 1*2DIGIT, optionally followed by a non-digit and anything.
func parseHMS(tok string) (h, m, s int, ok bool) {
	var fields [3]int
	for k := range fields {
		n, i := 0, 0
		for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
			if i == 2 {
				return 0, 0, 0, false
			}
			n = n*10 + int(tok[i]-'0')
			i++
		}
		if i == 0 {
			return 0, 0, 0, false
		}
		fields[k] = n
		tok = tok[i:]
		if k < 2 {
			if tok == "" || tok[0] != ':' {
				return 0, 0, 0, false
			}
			tok = tok[1:]
		}
	}
	return fields[0], fields[1], fields[2], true
}

// parseMonth matches the first three letters of tok against the month
// names, case-insensitively (RFC 6265 §5.1.1 "month").
func parseMonth(tok string) time.Month {
	if len(tok) < 3 {
		return 0
	}
	const names = "janfebmaraprmayjunjulaugsepoctnovdec"
	p := tok[:3]
	for i := 0; i < 12; i++ {
		if equalFoldASCII(p, names[3*i:3*i+3]) {
			return time.Month(i + 1)
		}
	}
	return 0
}
