package store

import "database/sql"

// SettleDB is the settler's connection on PostgreSQL, for tests that
// look at what that session has prepared.
func (s *Store) SettleDB() *sql.DB { return s.settleDB }
