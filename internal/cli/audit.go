package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/internal/retention"
	"github.com/plugboard/plugboard/internal/store"
)

// auditCmd is "plugboard audit": the operator's commands on the audit
// trail itself, run on the server's database.
func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Operator commands on the audit trail (run on the server's machine)"}
	var dataDir, databaseURL, orgID, before, export, operator string
	truncate := &cobra.Command{
		Use:   "truncate --org ID --before DATE --export FILE",
		Short: "Export an organization's audit entries older than DATE to FILE, then remove them",
		Long: `The audit trail is kept until the platform operator exports and removes its
oldest entries with this command. The entries created before --before are
written to --export (JSON, one entry a line; the file must not exist) and
synced to disk; only then are they removed, and the removal is itself
recorded in the trail, with the export's SHA-256 and the hash of the last
removed entry, which the first kept entry links to: GET /v1/audit/verify
keeps verifying the rest, from there.`,
		Example: `  plugboard audit truncate --org org_123 --before 2026-01-01 --export audit-org_123-2025.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cut, err := time.Parse(time.DateOnly, before)
			if err != nil {
				return usageError{fmt.Errorf("--before %q: want a date like 2026-01-01", before)}
			}
			st, err := store.Open(cmd.Context(), databaseURL, dataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			f, err := os.OpenFile(export, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("--export: %w", err)
			}
			x, err := retention.ExportAudit(cmd.Context(), st, orgID, cut, f)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil && x.Entries == 0 {
				err = fmt.Errorf("organization %s has no audit entries before %s", orgID, before)
			}
			if err != nil {
				return errors.Join(err, os.Remove(export))
			}
			if err := retention.TruncateAudit(cmd.Context(), st, x, operator); err != nil {
				return fmt.Errorf("the export %s is complete but the entries were not removed: %w", export, err)
			}
			v, err := st.VerifyAudit(cmd.Context(), orgID)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "exported %d entries (through %d) to %s, sha256 %s, and removed them\n", x.Entries, x.Last.Seq, export, x.SHA256)
			if !v.OK {
				return fmt.Errorf("the kept trail does not verify at entry %d: %s", v.BrokenAt, v.Reason)
			}
			fmt.Fprintf(a.stdout, "the kept trail (%d entries) verifies from entry %d\n", v.Entries, x.Last.Seq+1)
			return nil
		},
	}
	a.databaseFlags(truncate, &dataDir, &databaseURL)
	f := truncate.Flags()
	f.StringVar(&orgID, "org", "", "organization id")
	f.StringVar(&before, "before", "", "remove entries created before this date (UTC), like 2026-01-01")
	f.StringVar(&export, "export", "", "file the removed entries are written to first (must not exist)")
	f.StringVar(&operator, "operator", os.Getenv("USER"), "who runs the truncation, recorded in the trail")
	for _, name := range []string{"org", "before", "export"} {
		_ = truncate.MarkFlagRequired(name)
	}
	cmd.AddCommand(truncate)
	return cmd
}
