package signature_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

func TestSources(t *testing.T) {
	t.Parallel()
	want := []string{"stripe", "github", "slack", "shopify", "standard", "hmac"}
	if got := signature.Sources(); !slices.Equal(got, want) {
		t.Errorf("Sources() = %v, want %v", got, want)
	}
	for _, source := range want {
		if _, err := signature.New(source, signature.Options{}); err != nil {
			t.Errorf("New(%q, zero Options) = %v", source, err)
		}
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		source  string
		opts    signature.Options
		mention string // the error must name what to fix
	}{
		{"unknown source", "paypal", signature.Options{}, "stripe, github, slack, shopify, standard, hmac"},
		{"source in capitals", "Stripe", signature.Options{}, "stripe, github"},
		{"unknown algorithm", "hmac", signature.Options{Algorithm: "md5"}, "sha256, sha1 or sha512"},
		{"unknown encoding", "hmac", signature.Options{Encoding: "base32"}, "hex or base64"},
		{"header with a space", "hmac", signature.Options{Header: "X Sig"}, "Header"},
		{"event id header with a colon", "hmac", signature.Options{EventIDHeader: "X-Id:"}, "EventIDHeader"},
		{"prefix with a comma", "hmac", signature.Options{Prefix: "v1,"}, "Prefix"},
		{"negative tolerance", "stripe", signature.Options{Tolerance: -time.Second}, "Tolerance"},
		{"hmac option on a preset", "github", signature.Options{Header: "X-Signature"}, `only to source "hmac"`},
		{"algorithm on a preset", "slack", signature.Options{Algorithm: "sha1"}, "Algorithm"},
	}
	for _, c := range cases {
		_, err := signature.New(c.source, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: New = %v, want an error mentioning %q", c.name, err, c.mention)
		}
	}
}

func TestDecodeSecret(t *testing.T) {
	t.Parallel()
	cases := []struct {
		source, secret string
		want           []byte // nil: an error is expected
	}{
		{"standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", mustBase64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
		{"standard", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", mustBase64("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")},
		{"standard", "whsec_not base64!", nil},
		{"standard", "whsec_", nil},
		{"stripe", "whsec_abc", []byte("whsec_abc")},
		{"github", "It's a Secret to Everybody", []byte("It's a Secret to Everybody")},
		{"hmac", "", nil},
		{"nope", "secret", nil},
	}
	for _, c := range cases {
		got, err := signature.DecodeSecret(c.source, c.secret)
		switch {
		case c.want == nil && err == nil:
			t.Errorf("DecodeSecret(%q, %q) = %q, want an error", c.source, c.secret, got)
		case c.want != nil && (err != nil || string(got) != string(c.want)):
			t.Errorf("DecodeSecret(%q, %q) = %q, %v; want %q", c.source, c.secret, got, err, c.want)
		}
		if err != nil && c.secret != "" && strings.Contains(err.Error(), c.secret) {
			t.Errorf("DecodeSecret error %q repeats the secret", err)
		}
	}
}

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	for _, source := range signature.Sources() {
		a, b := signature.GenerateSecret(source), signature.GenerateSecret(source)
		if a == b || !strings.HasPrefix(a, "whsec_") {
			t.Errorf("GenerateSecret(%q) = %q then %q, want distinct whsec_ secrets", source, a, b)
		}
		key, err := signature.DecodeSecret(source, a)
		if err != nil {
			t.Errorf("DecodeSecret(GenerateSecret(%q)) = %v", source, err)
		}
		if source == "standard" && len(key) < 24 {
			t.Errorf("standard secret decodes to %d bytes, want at least 24", len(key))
		}
	}
}

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
