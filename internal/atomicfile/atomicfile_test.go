package atomicfile

import (
	"testing"

	"github.com/spf13/afero"
)

func TestWriteFile(t *testing.T) {
	fsys := afero.NewMemMapFs()
	if err := afero.WriteFile(fsys, "/d/f", []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(fsys, "/d/f", []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := afero.ReadFile(fsys, "/d/f")
	fi, _ := fsys.Stat("/d/f")
	if string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("file = %q, mode %v; want \"new\", 0600", b, fi.Mode().Perm())
	}

	f, err := Create(fsys, "/d/f", 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	b, _ = afero.ReadFile(fsys, "/d/f")
	names, _ := afero.ReadDir(fsys, "/d")
	if string(b) != "new" || len(names) != 1 {
		t.Errorf("after Abort: file = %q, %d names in the directory; want \"new\", 1", b, len(names))
	}
}
