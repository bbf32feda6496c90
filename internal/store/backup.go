package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Backup writes a consistent copy of the SQLite database at dbPath to dest
// while servers keep using it. SQLite's VACUUM INTO reads the database in
// one read transaction: in WAL mode writers go on meanwhile, and the copy
// holds exactly what was committed when it began, so every write a server
// acknowledged before the backup started is in it. dest must not exist.
//
// The copy is written in a folder of its own, made beside dest and
// readable by its owner only, and renamed into place once complete: in a
// shared folder such as /tmp, nobody else can plant the file the copy is
// written to, and no file of the user's is replaced or removed on the way.
func Backup(ctx context.Context, dbPath, dest string) error {
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", dbPath, err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", dest)
	}
	work, err := os.MkdirTemp(filepath.Dir(dest), ".plugboard-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)
	db, err := sql.Open("sqlite", sqliteDSN(dbPath, "_pragma=busy_timeout(10000)"))
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", dbPath, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tmp := filepath.Join(work, "copy.db")
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("backup: copy %s: %w", dbPath, err)
	}
	// The copy holds everything the database does: readable by its owner
	// only, like the database.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s appeared while the copy was made; choose a new file name", dest)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	syncDir(filepath.Dir(dest))
	return nil
}

// ErrServerRunning is returned by Restore while a server has the database
// open.
var ErrServerRunning = errors.New("a plugboard server is using this database")

// Restore puts the backup src in place of the SQLite database at dbPath. It
// refuses while a server has the database open (the lock every server holds
// shared) and keeps no server from starting until it is done. src is copied
// beside the database first and the copy checked (SQLite's integrity check,
// Plugboard's tables, and no migrations newer than this binary's), so what
// is put in place is exactly what was checked. The database it replaces,
// with its write-ahead log, is kept beside it under a name with the time,
// and that name is returned ("" when there was none).
func Restore(ctx context.Context, src, dbPath string) (string, error) {
	info, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	if !info.Mode().IsRegular() {
		// A device or a pipe would be copied until the disk is full.
		return "", fmt.Errorf("restore: %s is not a file (%v); give the path of a backup file", src, info.Mode().Type())
	}
	// Only the file is copied. A log beside it may hold committed writes
	// that are not in the file yet: restoring the file alone would drop
	// them without a word.
	if info, err := os.Stat(src + "-wal"); err == nil && info.Size() > 0 {
		return "", fmt.Errorf("restore: %s has a write-ahead log beside it (%s-wal): the database is in use or was not closed cleanly, and the log may hold writes that are not in the file; make a copy with plugboard backup and restore that", src, filepath.Base(src))
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o700); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	lock, err := lockData(dbPath, true)
	if errors.Is(err, errLocked) {
		return "", fmt.Errorf("restore: %w (%s); stop it first", ErrServerRunning, dbPath)
	} else if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	defer lock.release()

	tmp := dbPath + ".restoring"
	discard := func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(tmp + suffix)
		}
	}
	if err := copyFile(src, tmp); err != nil {
		discard()
		return "", fmt.Errorf("restore: %w", err)
	}
	if err := checkBackup(ctx, src, tmp); err != nil {
		discard()
		return "", err
	}
	kept := ""
	if _, err := os.Stat(dbPath); err == nil {
		kept = dbPath + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		// The log of a server that was killed holds committed writes of the
		// old database: it moves with it, so the kept copy stays whole.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				discard()
				return "", fmt.Errorf("restore: set the current database aside: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, dbPath); err != nil {
		return kept, fmt.Errorf("restore: %w", err)
	}
	syncDir(filepath.Dir(dbPath))
	return kept, nil
}

// checkBackup opens copied, the backup src copied, read-only and makes sure
// it is a sound SQLite database with Plugboard's tables, made by this
// version of Plugboard or an older one.
func checkBackup(ctx context.Context, src, copied string) error {
	db, err := sql.Open("sqlite", sqliteDSN(copied, "mode=ro&_pragma=query_only(1)"))
	if err != nil {
		return fmt.Errorf("restore: open %s: %w", src, err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("restore: %s is not a SQLite database: %w", src, err)
	}
	if result != "ok" {
		return fmt.Errorf("restore: %s is damaged: %s", src, result)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("restore: %s is not a Plugboard database (no migrations recorded)", src)
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	if err := refuseNewer(ctx, db, names); err != nil {
		return fmt.Errorf("restore: %s: %w; restore it with that version or a later one", src, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the renames in dir durable where the platform supports
// it: without it, a power cut soon after could bring back the folder as
// it was before. A failure only weakens that, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
