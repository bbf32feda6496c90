package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// canaryText is what the vault canary holds; only its opening matters.
const canaryText = "plugboard vault canary"

// checkKey makes sure this node's key opens what the database holds: the
// canary sealed when the database was first used. A node started with
// another key would answer 500 for every stored credential; it refuses to
// start instead, saying how to give it the right key.
func checkKey(ctx context.Context, cfg config.Config, st *store.Store, ring *vault.Keyring) error {
	rowID, sealed, err := st.VaultCanary(ctx, func(rowID string) (string, error) {
		return ring.Seal([]byte(canaryText), []byte(rowID))
	})
	if err != nil {
		return fmt.Errorf("check the secret key against the database: %w", err)
	}
	if _, err := ring.Open(sealed, []byte(rowID)); err == nil {
		return nil
	}
	source := "PLUGBOARD_SECRET_KEY"
	if cfg.SecretKey == "" {
		source = "the key file " + filepath.Join(cfg.DataDir, vault.KeyFileName) + ", which this node generated"
	}
	return fmt.Errorf("this node's secret key (from %s) cannot open the credentials in this database: "+
		"they were sealed with another key. Every node sharing a database needs the same key: set PLUGBOARD_SECRET_KEY "+
		"on this node to the key the other nodes use (their PLUGBOARD_SECRET_KEY, or the active key in the first node's "+
		"%s, base64); after a rotation, add the older keys to PLUGBOARD_SECRET_KEY_PREVIOUS", source, vault.KeyFileName)
}
