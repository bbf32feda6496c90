package vault_test

import (
	"fmt"
	"log"
	"os"

	"github.com/plugboard/plugboard/internal/vault"
)

func Example() {
	dataDir, err := os.MkdirTemp("", "plugboard-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dataDir)

	// No PLUGBOARD_SECRET_KEY: the key file is created in the data directory.
	keys, err := vault.Load(dataDir, "", nil)
	if err != nil {
		log.Fatal(err)
	}
	// The associated data ties the value to its row.
	sealed, err := keys.Seal([]byte("sk_test_123"), []byte("connection:42"))
	if err != nil {
		log.Fatal(err)
	}

	// Later, after a rotation, the old value still opens and can be moved
	// to the new key.
	keys, err = vault.Rotate(dataDir)
	if err != nil {
		log.Fatal(err)
	}
	sealed, changed, err := keys.Reseal(sealed, []byte("connection:42"))
	if err != nil {
		log.Fatal(err)
	}
	plaintext, err := keys.Open(sealed, []byte("connection:42"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(plaintext), changed)
	// Output: sk_test_123 true
}
