package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// A node warns its operator when PostgreSQL does not analyze the tables
// as they grow (autovacuum or track_counts off), and stays quiet when it
// does, as on SQLite, whose settings Plugboard makes itself.
func TestTheOperatorIsToldWhenPostgreSQLDoesNotAnalyzeItsTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		s := storetest.Open(t, store.Postgres)
		var autovacuum, trackCounts string
		if err := s.DB().QueryRowContext(ctx, `SELECT current_setting('autovacuum'), current_setting('track_counts')`).Scan(&autovacuum, &trackCounts); err != nil {
			t.Fatal(err)
		}
		advice, err := s.Advice(ctx)
		if err != nil {
			t.Fatal(err)
		}
		off := autovacuum != "on" || trackCounts != "on"
		told := len(advice) == 1 && strings.Contains(advice[0], "autovacuum = "+autovacuum) && strings.Contains(advice[0], "ANALYZE")
		if off != told || !off && len(advice) != 0 {
			t.Fatalf("with autovacuum = %s and track_counts = %s the advice is %q", autovacuum, trackCounts, advice)
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		advice, err := storetest.Open(t, store.SQLite).Advice(ctx)
		if err != nil || len(advice) != 0 {
			t.Fatalf("advice = %q, %v; want none", advice, err)
		}
	})
}
