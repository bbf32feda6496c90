package signature_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// The example from GitHub's "Validating webhook deliveries" documentation.
const (
	githubDocsSecret    = "It's a Secret to Everybody"
	githubDocsPayload   = "Hello, World!"
	githubDocsSignature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
)

func TestGitHubDocumentationVector(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "github", signature.Options{})
	secret := mustDecode(t, "github", githubDocsSecret)

	h := http.Header{}
	h.Set("X-Hub-Signature-256", githubDocsSignature)
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	if err := v.Verify(h, []byte(githubDocsPayload), [][]byte{secret}, testNow); err != nil {
		t.Errorf("Verify(documented vector) = %v", err)
	}
	if got := v.Sign([]byte(githubDocsPayload), secret, testNow).Get("X-Hub-Signature-256"); got != githubDocsSignature {
		t.Errorf("Sign = %q, want %q", got, githubDocsSignature)
	}
	if id := v.EventID(h, nil); id != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Errorf("EventID = %q, want the X-GitHub-Delivery value", id)
	}
}

func TestGitHubIgnoresTheSHA1Header(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "github", signature.Options{})
	// A correct SHA-1 signature of the documented payload (computed with
	// OpenSSL), alone: GitHub always sends the SHA-256 header too, so its
	// absence is a missing signature.
	h := http.Header{"X-Hub-Signature": {"sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"}}
	err := v.Verify(h, []byte(githubDocsPayload), [][]byte{[]byte(githubDocsSecret)}, testNow)
	if !errors.Is(err, signature.ErrMissingSignature) {
		t.Errorf("Verify(only X-Hub-Signature) = %v, want ErrMissingSignature", err)
	}
}

func TestGitHubRejectsOtherPrefixes(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "github", signature.Options{})
	h := http.Header{"X-Hub-Signature-256": {githubDocsSignature[len("sha256="):]}}
	err := v.Verify(h, []byte(githubDocsPayload), [][]byte{[]byte(githubDocsSecret)}, testNow)
	if !errors.Is(err, signature.ErrBadSignature) {
		t.Errorf("Verify(signature without sha256=) = %v, want ErrBadSignature", err)
	}
}
