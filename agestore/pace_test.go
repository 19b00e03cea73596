package agestore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/httpsession/httpsession"
	"github.com/spf13/afero"
)

// TestReservePaceSharesInner: an encrypted session file shares its pacing
// through the inner FileStore's side file, which is plain (it holds only
// origins, times and counts); an inner store that shares none makes
// ReservePace fail, so the Client paces alone.
func TestReservePaceSharesInner(t *testing.T) {
	key, _ := x25519Key(t)
	fsys := afero.NewMemMapFs()
	st := NewFile(fsys, "/s/session.json", key)
	r := httpsession.PaceRequest{Interval: time.Second, Remaining: -1, Max: time.Minute}
	w1, release, err := st.ReservePace(context.Background(), "http://a.test default", r)
	if err != nil || w1 != 0 || release == nil {
		t.Fatalf("first slot: wait %v, release %v, err %v; want 0, a release, nil", w1, release != nil, err)
	}
	w2, _, err := NewFile(fsys, "/s/session.json", key).ReservePace(context.Background(), "http://a.test default", r)
	if err != nil || w2 < 900*time.Millisecond {
		t.Errorf("a second Store on the same file: wait %v, err %v; want about 1s", w2, err)
	}
	if _, err := fsys.Stat("/s/session.json.pace"); err != nil {
		t.Errorf("no side file: %v", err)
	}
	type plain struct{ httpsession.Store }
	_, _, err = New(plain{httpsession.NewFileStore(fsys, "/t.json")}, key).ReservePace(context.Background(), "k", r)
	if err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("inner store without pacing: err %v, want an error", err)
	}
}
