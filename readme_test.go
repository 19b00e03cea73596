package httpsession

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeImports are the packages README's Go fragments may use, by the
// name they are used with.
var readmeImports = map[string]string{
	"agestore":       "github.com/httpsession/httpsession/agestore",
	"browsercookies": "github.com/httpsession/httpsession/browsercookies",
	"context":        "context",
	"endpoints":      "golang.org/x/oauth2/endpoints",
	"errors":         "errors",
	"fmt":            "fmt",
	"http":           "net/http",
	"httpsession":    "github.com/httpsession/httpsession",
	"io":             "io",
	"log":            "log",
	"oauth":          "github.com/httpsession/httpsession/oauth",
	"oauth2":         "golang.org/x/oauth2",
	"os":             "os",
	"rate":           "golang.org/x/time/rate",
	"redis":          "github.com/redis/go-redis/v9",
	"redisstore":     "github.com/httpsession/httpsession/redisstore",
	"slog":           "log/slog",
	"storagestate":   "github.com/httpsession/httpsession/storagestate",
	"strings":        "strings",
	"time":           "time",
	"url":            "net/url",
}

// readmeGoBlocks returns the ```go blocks of README.md.
func readmeGoBlocks(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, m := range regexp.MustCompile("(?s)\n```go\n(.*?)\n```\n").FindAllStringSubmatch(string(b), -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// readmeProgram is block as a program: a complete file as it is, a
// fragment as the body of a func(ctx context.Context) error, with the
// imports it uses. A fragment may use ctx and nothing else it does not
// declare.
func readmeProgram(block string) string {
	if strings.HasPrefix(block, "package ") {
		return block
	}
	code := regexp.MustCompile(`(?m)(^|\s)//.*$`).ReplaceAllString(block, "") // names in comments are no imports
	uses := []string{"context", "log"}
	for name := range readmeImports {
		if regexp.MustCompile(`(^|[^.\w])` + name + `\.`).MatchString(code) {
			uses = append(uses, name)
		}
	}
	slices.Sort(uses)
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n")
	for _, name := range slices.Compact(uses) {
		fmt.Fprintf(&b, "\t%q\n", readmeImports[name])
	}
	b.WriteString(")\n\nfunc main() {\n\tif err := run(context.Background()); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n\n")
	b.WriteString("func run(ctx context.Context) error {\n" + block + "\n")
	if !regexp.MustCompile(`(?m)^return [^\n]*$`).MatchString(block) {
		b.WriteString("return nil\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// TestREADMEGoBlocksCompile: every Go block of README.md passes go vet
// as written: a complete program, or a fragment that declares everything
// it uses but ctx and handles its errors.
func TestREADMEGoBlocksCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	blocks := readmeGoBlocks(t)
	if len(blocks) < 5 {
		t.Fatalf("found %d Go blocks in README.md", len(blocks))
	}
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("testdata", "readme-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var pkgs []string
	for i, block := range blocks {
		pkg := filepath.Join(dir, fmt.Sprintf("block%d", i+1))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(readmeProgram(block)), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(pkg))
	}
	out, err := exec.Command("go", append([]string{"vet"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Errorf("go vet of README.md's Go blocks (blockN is the Nth):\n%s", out)
	}
}

// TestREADMENamesTheAPI: README.md shows the ready-made authenticators
// and the retry policy's pacing, not only the godoc.
func TestREADMENamesTheAPI(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"FormLogin", "BasicAuth", "RetryPolicy", "RateLimit", "JSONLogin", "oauth.Credentials", "PostForm", "storagestate.Import"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("README.md does not mention %s", name)
		}
	}
}
