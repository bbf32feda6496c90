package signature_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// A GitHub delivery checked the way the ingest path does it, with the example
// from GitHub's documentation.
func Example() {
	v, err := signature.New("github", signature.Options{})
	if err != nil {
		panic(err)
	}
	secret, err := signature.DecodeSecret("github", "It's a Secret to Everybody")
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")

	fmt.Println(v.Verify(h, []byte("Hello, World!"), [][]byte{secret}, time.Now()))
	err = v.Verify(h, []byte("Hello, World?"), [][]byte{secret}, time.Now())
	fmt.Println(errors.Is(err, signature.ErrBadSignature))
	fmt.Println(v.EventID(h, nil))
	// Output:
	// <nil>
	// true
	// 72d3162e-cc78-11e3-81ab-4c9367dc0958
}

// During a secret rotation both secrets are passed; a test event signed with
// Sign passes Verify like a real delivery, until it is older than the
// tolerance.
func ExampleVerifier_Sign() {
	v, err := signature.New("standard", signature.Options{})
	if err != nil {
		panic(err)
	}
	oldKey, _ := signature.DecodeSecret("standard", signature.GenerateSecret("standard"))
	newKey, _ := signature.DecodeSecret("standard", signature.GenerateSecret("standard"))
	body := []byte(`{"type":"invoice.paid"}`)
	sent := time.Now()

	h := v.Sign(body, newKey, sent)
	fmt.Println(v.Verify(h, body, [][]byte{oldKey, newKey}, sent.Add(time.Second)))
	err = v.Verify(h, body, [][]byte{oldKey, newKey}, sent.Add(time.Hour))
	fmt.Println(errors.Is(err, signature.ErrTimestampTooOld))
	// Output:
	// <nil>
	// true
}
