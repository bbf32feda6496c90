package store

import (
	"context"
	"fmt"
)

// Advice lists what the database's own settings do to Plugboard that its
// operator should know, one sentence each; none on SQLite, whose settings
// Plugboard makes itself.
//
// On PostgreSQL it is autovacuum, and track_counts, which autovacuum
// needs. With either off, nothing analyzes the tables as they grow, and a
// statement a node planned for tables that looked empty (every table, on
// a new installation) keeps that plan, a sequential scan where an index
// serves, until someone runs ANALYZE; nor are the rows that updates and
// pruning leave behind reclaimed.
func (s *Store) Advice(ctx context.Context) ([]string, error) {
	if s.engine != Postgres {
		return nil, nil
	}
	var autovacuum, trackCounts string
	err := s.pgPool.QueryRow(ctx, `SELECT current_setting('autovacuum'), current_setting('track_counts')`).Scan(&autovacuum, &trackCounts)
	if err != nil {
		return nil, fmt.Errorf("read the database's settings: %w", err)
	}
	var advice []string
	if autovacuum != "on" || trackCounts != "on" {
		advice = append(advice, fmt.Sprintf("PostgreSQL runs with autovacuum = %s and track_counts = %s: its statistics will not follow the tables' growth, "+
			"so statements planned while they were small keep scanning them whole, and dead rows are not reclaimed; "+
			"turn both on (the default) or run VACUUM ANALYZE regularly", autovacuum, trackCounts))
	}
	return advice, nil
}
