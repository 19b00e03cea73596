package browsercookies

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/websocket"
)

var update = flag.Bool("update", false, "rewrite the fixtures in testdata/ from the real browsers, and the golden files")

// bidiConn is a minimal WebDriver BiDi client: one command at a time,
// events ignored.
type bidiConn struct {
	conn *websocket.Conn
	id   int
}

func (b *bidiConn) callInto(method string, params, result any) error {
	b.id++
	if err := websocket.JSON.Send(b.conn, map[string]any{"id": b.id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	for {
		var msg struct {
			ID      *int            `json:"id"`
			Type    string          `json:"type"`
			Result  json.RawMessage `json:"result"`
			Error   string          `json:"error"`
			Message string          `json:"message"`
		}
		if err := websocket.JSON.Receive(b.conn, &msg); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if msg.ID == nil || *msg.ID != b.id {
			continue
		}
		if msg.Type == "error" {
			return fmt.Errorf("%s: %s: %s", method, msg.Error, msg.Message)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(msg.Result, result)
	}
}

func (b *bidiConn) call(method string, params any) (json.RawMessage, error) {
	var r json.RawMessage
	err := b.callInto(method, params, &r)
	return r, err
}

// saveFixture stores a real browser's files under testdata/NAME: SQLite
// databases compacted (VACUUM INTO, which also folds in the -wal), other
// files as they are, and VERSION naming the browser that made them.
func saveFixture(t *testing.T, name, version, dir string, files ...string) {
	dst := filepath.Join("testdata", name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		out := filepath.Join(dst, f)
		os.Remove(out)
		if strings.HasSuffix(f, ".jsonlz4") {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		db, cleanup, err := openCopy(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(out)
		// Small pages keep the fixture a few KB (Firefox uses 32 KiB).
		for _, q := range []string{"PRAGMA journal_mode=DELETE", "PRAGMA page_size=512", "VACUUM"} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		_, err = db.Exec("VACUUM INTO ?", abs)
		cleanup()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "VERSION"), []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
