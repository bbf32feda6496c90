//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// dataLock is an advisory lock on a file beside the SQLite database. Every
// server holds it shared while the database is open; a restore needs it
// exclusive, so it cannot swap the file under a running server and no
// server can start in the middle of a restore. The kernel releases it when
// the process ends, however it ends.
type dataLock struct{ f *os.File }

// errLocked is returned when the lock is held in a conflicting mode.
var errLocked = errors.New("locked")

func lockData(dbPath string, exclusive bool) (*dataLock, error) {
	f, err := os.OpenFile(dbPath+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return &dataLock{f: f}, nil
}

func (l *dataLock) release() {
	if l != nil && l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
