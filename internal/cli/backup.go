package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/internal/store"
)

// errPostgresBackup points PostgreSQL users at the documented recipe: the
// database is the server's to back up, with its own tools.
var errPostgresBackup = errors.New("with PostgreSQL, back up with pg_dump and keep the secret key beside the dump; see docs/operations.md")

func (a *app) backupCmd() *cobra.Command {
	var dataDir, databaseURL string
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Copy the SQLite database to FILE while the server runs",
		Long: `Write a consistent copy of the SQLite database in --data-dir to FILE.
The server may keep running and taking writes: the copy holds everything
committed when the backup began, so every event acknowledged before it
started is in it. FILE must not exist yet.

Stored credentials in the copy are encrypted with the master key
(--data-dir/secret.key, or PLUGBOARD_SECRET_KEY): keep a copy of the key,
apart from the backup; without it the credentials cannot be read back.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, ok := store.SQLitePath(databaseURL, dataDir)
			if !ok {
				return errPostgresBackup
			}
			if err := store.Backup(cmd.Context(), path, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "backed up %s to %s\n", path, args[0])
			fmt.Fprintf(a.stderr, "keep the master key (%s or PLUGBOARD_SECRET_KEY) with it, stored apart\n", filepath.Join(dataDir, "secret.key"))
			return nil
		},
	}
	a.databaseFlags(cmd, &dataDir, &databaseURL)
	return cmd
}

func (a *app) restoreCmd() *cobra.Command {
	var dataDir, databaseURL string
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the SQLite database with a backup (server stopped)",
		Long: `Put the backup FILE in place of the SQLite database in --data-dir.
The server must be stopped: restore refuses while one runs, and no server
starts until it has finished. FILE is checked first; the database it
replaces is kept beside it, renamed with the time. Start the server with
the master key the backup was made under.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, ok := store.SQLitePath(databaseURL, dataDir)
			if !ok {
				return errors.New("with PostgreSQL, restore with pg_restore or psql; see docs/operations.md")
			}
			kept, err := store.Restore(cmd.Context(), args[0], path)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "restored %s from %s\n", path, args[0])
			if kept != "" {
				fmt.Fprintf(a.stdout, "the database it replaced is kept as %s\n", kept)
			}
			return nil
		},
	}
	a.databaseFlags(cmd, &dataDir, &databaseURL)
	return cmd
}

func (a *app) databaseFlags(cmd *cobra.Command, dataDir, databaseURL *string) {
	f := cmd.Flags()
	f.StringVar(dataDir, "data-dir", "./data", "the server's data folder")
	f.StringVar(databaseURL, "database-url", "", "the server's database URL (empty: SQLite in --data-dir)")
}
