//go:build !unix

package store

import "errors"

// dataLock does nothing where flock(2) is missing: there, stopping the
// server before a restore is the operator's part.
type dataLock struct{}

var errLocked = errors.New("locked")

func lockData(string, bool) (*dataLock, error) { return &dataLock{}, nil }

func (l *dataLock) release() {}
