package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// transfer is what -w/--write-out reports of a request.
type transfer struct {
	start     time.Time
	end       time.Time
	resp      *http.Response // the last response, nil if none came
	size      int64          // body bytes read from the last response
	redirects int
	exitCode  int
}

// writeOutVar returns the value of one %{name}, and whether name is known.
func (t *transfer) writeOutVar(name string) (string, bool) {
	switch name {
	case "http_code", "response_code":
		code := 0
		if t.resp != nil {
			code = t.resp.StatusCode
		}
		return fmt.Sprintf("%03d", code), true
	case "size_download":
		return strconv.FormatInt(t.size, 10), true
	case "time_total":
		return fmt.Sprintf("%.6f", t.end.Sub(t.start).Seconds()), true
	case "url_effective":
		if t.resp != nil && t.resp.Request != nil {
			return t.resp.Request.URL.String(), true
		}
		return "", true
	case "num_redirects":
		return strconv.Itoa(t.redirects), true
	case "content_type":
		if t.resp != nil {
			return t.resp.Header.Get("Content-Type"), true
		}
		return "", true
	case "exitcode":
		return strconv.Itoa(t.exitCode), true
	}
	return "", false
}

// writeOut prints format as curl's -w does: %{name} replaced by its
// value, %header{name} by the response header's values, %% a percent sign, \n \r \t and \\ their characters; an unknown
// variable prints nothing and is reported on warn once.
func writeOut(w, warn io.Writer, format string, t *transfer) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch {
		case c == '%' && strings.HasPrefix(format[i:], "%%"):
			b.WriteByte('%')
			i++
		case c == '%' && strings.HasPrefix(format[i:], "%header{"):
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				b.WriteString(format[i:])
				i = len(format)
				continue
			}
			if t.resp != nil {
				b.WriteString(strings.Join(t.resp.Header.Values(format[i+len("%header{"):i+end]), ", "))
			}
			i += end
		case c == '%' && strings.HasPrefix(format[i:], "%{"):
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				b.WriteString(format[i:])
				i = len(format)
				continue
			}
			name := format[i+2 : i+end]
			if v, ok := t.writeOutVar(name); ok {
				b.WriteString(v)
			} else {
				fmt.Fprintf(warn, "httpsession: unknown --write-out variable %q\n", name)
			}
			i += end
		case c == '\\' && i+1 < len(format):
			switch format[i+1] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\':
				b.WriteByte('\\')
			default:
				b.WriteString(format[i : i+2])
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	io.WriteString(w, b.String())
}

// writeOutFormat reads -w's argument: @FILE a file, @- standard input.
func writeOutFormat(e *env, v string) (string, error) {
	if !strings.HasPrefix(v, "@") {
		return v, nil
	}
	b, err := readFile(e, v[1:])
	if err != nil {
		return "", fmt.Errorf("-w: %w", err)
	}
	return string(b), nil
}

// exitCode is the code run gives err (see run).
func exitCode(err error) int {
	var x *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(*usageError)):
		return exitUsage
	case errors.As(err, &x):
		return x.code
	}
	return 1
}
