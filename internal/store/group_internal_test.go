package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestGroupCommits makes many writes at once through shared commits: every
// write that succeeded is there, every one that failed undid only itself,
// and a caller whose context ended before its turn wrote nothing.
func TestGroupCommits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	errFailed := errors.New("this write fails after writing")
	const writers = 120
	var wg sync.WaitGroup
	results := make([]error, writers)
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			wctx := ctx
			if i%10 == 9 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				wctx = c
			}
			results[i] = s.InGroupTx(wctx, func(tx *Tx) error {
				if _, err := tx.tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (org_id, scope, idem_key, fingerprint, result, created_at) VALUES (?, ?, ?, ?, NULL, ?)`),
					"org", "scope", fmt.Sprint(i), "f", time.Now().UnixMilli()); err != nil {
					return err
				}
				if i%3 == 0 {
					return errFailed
				}
				return nil
			})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range results {
		var held int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM idempotency_keys WHERE idem_key = ?`, fmt.Sprint(i)).Scan(&held); err != nil {
			t.Fatal(err)
		}
		switch {
		case i%10 == 9:
			if !errors.Is(err, context.Canceled) || held != 0 {
				t.Errorf("write %d with its context ended: err %v, rows %d", i, err, held)
			}
		case i%3 == 0:
			if !errors.Is(err, errFailed) || held != 0 {
				t.Errorf("failed write %d: err %v, rows %d (want its own error and nothing written)", i, err, held)
			}
		default:
			if err != nil || held != 1 {
				t.Errorf("write %d: err %v, rows %d", i, err, held)
			}
		}
	}
}
