// Package store keeps Plugboard's state in SQLite (the embedded default) or
// PostgreSQL (for several nodes).
//
// Both engines run the same SQL through database/sql: queries are written
// once with ? placeholders and rebound for PostgreSQL, migrations are one
// set of files with small per-engine sections, and driver errors map to the
// sentinels ErrNotFound and ErrConflict. On SQLite the store keeps a single
// write connection (SQLite has one writer; the job queue shares it) and a
// small pool of read-only connections, in WAL mode with synchronous=FULL,
// so a committed write survives a crash.
//
// Every method that takes an organization id filters by it: an object of
// another organization is ErrNotFound, never a leak.
package store
