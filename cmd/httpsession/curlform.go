package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"path/filepath"
	"strings"
)

// formPart is one part of a multipart/form-data body, as -F describes it.
type formPart struct {
	name, filename, contentType string
	content                     []byte
}

// parseFormArg reads one -F or --form-string argument as curl does:
// name=value, name=@file (an upload: its base name as filename, a type
// guessed from the extension), name=<file (the file's content as a plain
// value); after the value or file, ;type=T and ;filename=F set those, and
// other ;parameters are dropped (see formParams); a value or filename in
// double quotes may hold ";" (see formWord). --form-string takes the
// value literally.
func parseFormArg(e *env, a formArg) (formPart, error) {
	name, value, _ := strings.Cut(a.value, "=")
	p := formPart{name: name}
	if a.literal {
		p.content = []byte(value)
		return p, nil
	}
	upload, fromFile := strings.HasPrefix(value, "@"), strings.HasPrefix(value, "<")
	if upload || fromFile {
		value = value[1:]
	}
	value, rest := formWord(value)
	p.contentType, p.filename = formParams(rest)
	if !upload && !fromFile {
		p.content = []byte(value)
		return p, nil
	}
	b, err := readFile(e, value)
	if err != nil {
		return p, fmt.Errorf("-F %s: %w", name, err)
	}
	p.content = b
	if upload {
		if p.filename == "" && value != "-" {
			p.filename = filepath.Base(value)
		}
		if p.contentType == "" {
			p.contentType = guessType(value)
		}
	}
	return p, nil
}

// formWord reads a value or a filename of -F as curl does
// (tool_formparse.c, get_param_word): a word in double quotes, in which
// \" and \\ stand for " and \, ends at its closing quote (anything after
// it before the next ";" is dropped); any other word ends at the first
// ";". It returns the word and the rest from that ";" on.
func formWord(s string) (word, rest string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				b.WriteByte(s[i+1])
				i++
			case c == '"':
				if j := strings.IndexByte(s[i:], ';'); j >= 0 {
					return b.String(), s[i+j:]
				}
				return b.String(), ""
			default:
				b.WriteByte(c)
			}
		}
		// No closing quote: the word is taken as it is.
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// formParams reads the ";NAME=…" parameters after a -F value, rest, as
// curl does: type= runs to the next parameter curl knows, so it keeps
// its own parameters ("text/html; charset=utf-8"); filename= is a word
// (see formWord); headers= and encoder= are read and dropped, as is any
// other parameter. Spaces are skipped before a name and after its "=".
func formParams(rest string) (contentType, filename string) {
	known := func(s string) bool {
		s = strings.TrimLeft(s, " \t")
		for _, k := range []string{"type=", "filename=", "headers=", "encoder="} {
			if strings.HasPrefix(s, k) {
				return true
			}
		}
		return false
	}
	for rest != "" {
		param := strings.TrimLeft(rest[1:], " \t") // rest starts with ";"
		name, v, ok := strings.Cut(param, "=")
		if !ok || strings.ContainsRune(name, ';') || !known(param) {
			// Another parameter: skipped to the next ";".
			if i := strings.IndexByte(param, ';'); i >= 0 {
				rest = param[i:]
				continue
			}
			break
		}
		v = strings.TrimLeft(v, " \t")
		switch name {
		case "type":
			end := 0
			for end < len(v) {
				i := strings.IndexByte(v[end:], ';')
				if i < 0 {
					end = len(v)
					break
				}
				if known(v[end+i+1:]) {
					end += i
					break
				}
				end += i + 1
			}
			contentType, rest = strings.TrimRight(v[:end], " \t"), v[end:]
		case "filename":
			filename, rest = formWord(v)
		default:
			_, rest = formWord(v)
		}
	}
	return contentType, filename
}

// guessType is curl's guess of an upload's type from its extension
// (lib/mime.c), application/octet-stream when it has none to offer.
func guessType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".gif":
		return "image/gif"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".txt":
		return "text/plain"
	case ".htm", ".html":
		return "text/html"
	case ".pdf":
		return "application/pdf"
	case ".xml":
		return "application/xml"
	}
	return "application/octet-stream"
}

// multipartBody encodes the -F and --form-string arguments, in order, as
// a multipart/form-data body and returns it with its Content-Type.
func multipartBody(e *env, args []formArg) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, a := range args {
		p, err := parseFormArg(e, a)
		if err != nil {
			return nil, "", err
		}
		h := make(textproto.MIMEHeader)
		cd := `form-data; name="` + escapeFormName(p.name) + `"`
		if p.filename != "" {
			cd += `; filename="` + escapeFormName(p.filename) + `"`
		}
		h.Set("Content-Disposition", cd)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			return nil, "", err
		}
		pw.Write(p.content) // a bytes.Buffer does not fail
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// escapeFormName escapes a name or filename in Content-Disposition as
// curl and browsers do (the HTML standard): " as %22, CR as %0D, LF as
// %0A.
func escapeFormName(s string) string {
	return strings.NewReplacer(`"`, "%22", "\r", "%0D", "\n", "%0A").Replace(s)
}
