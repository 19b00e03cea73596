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
// other ;parameters are dropped. --form-string takes the value literally.
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
	value, params, _ := strings.Cut(value, ";")
	for param := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
		switch k {
		case "type":
			p.contentType = v
		case "filename":
			p.filename = v
		}
	}
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
