package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	tests := []struct {
		name  string
		total int64
		write int
		want  string
	}{
		{"known size, half", 16 << 20, 8 << 20, " 50.0% 8.0 MiB"},
		{"known size, done", 8 << 20, 8 << 20, "100.0% 8.0 MiB"},
		{"unknown size", -1, 6 << 20, "\r6.0 MiB"},
		{"small download draws nothing", 1 << 20, 1 << 20, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := &progress{w: &buf, total: tt.total, start: time.Now()}
			chunk := make([]byte, 1<<20)
			for n := 0; n < tt.write; n += len(chunk) {
				p.Write(chunk)
			}
			p.finish()
			out := buf.String()
			if tt.want == "" {
				if out != "" {
					t.Errorf("drew %q for a small download", out)
				}
				return
			}
			if !strings.Contains(out, tt.want) || !strings.HasSuffix(out, "\n") {
				t.Errorf("progress output %q lacks %q or the final newline", out, tt.want)
			}
		})
	}
}
