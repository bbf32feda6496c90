package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

func (a *app) keysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the master key that encrypts stored credentials"}
	var cfg config.Config
	var previous string
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every stored secret under the newest master key",
		Long: `With a generated key file (the default), rotate adds a new key to
--data-dir/secret.key and re-encrypts every stored secret with it; older keys
stay in the file so nothing becomes unreadable halfway.

With PLUGBOARD_SECRET_KEY, generate a new key, set it as PLUGBOARD_SECRET_KEY,
move the old one to PLUGBOARD_SECRET_KEY_PREVIOUS, then run rotate: every
secret is re-encrypted under the new key and the old one can be dropped.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg = cfg.WithDefaults()
			var ring *vault.Keyring
			var err error
			if cfg.SecretKey == "" {
				ring, err = vault.Rotate(cfg.DataDir)
			} else {
				ring, err = vault.Load(cfg.DataDir, cfg.SecretKey, splitList(previous))
			}
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), cfg.DatabaseURL, cfg.DataDir)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.ResealSecrets(cmd.Context(), func(rowID, sealed string) (string, bool, error) {
				return ring.Reseal(sealed, []byte(rowID))
			})
			if err != nil {
				return fmt.Errorf("re-encrypt secrets: %w", err)
			}
			fmt.Fprintf(a.stdout, "active key %s; re-encrypted %d secrets\n", ring.ActiveID(), n)
			if cfg.SecretKey != "" && strings.TrimSpace(previous) != "" {
				fmt.Fprintln(a.stdout, "every secret now uses the new key; PLUGBOARD_SECRET_KEY_PREVIOUS can be removed")
			}
			return nil
		},
	}
	serverOnly(rotate)
	f := rotate.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "./data", "the server's data folder")
	f.StringVar(&cfg.DatabaseURL, "database-url", "", "postgres://… when the server uses PostgreSQL")
	f.StringVar(&cfg.SecretKey, "secret-key", "", "the new master key when keys come from the environment")
	f.StringVar(&previous, "secret-key-previous", "", "comma-separated older keys")
	cmd.AddCommand(rotate)
	return cmd
}
