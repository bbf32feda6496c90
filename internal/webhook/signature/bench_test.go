package signature_test

import (
	"bytes"
	"testing"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// BenchmarkVerify measures the ingest hot path: one 1 KB body checked against
// one current and one retiring secret, signed with the current one.
func BenchmarkVerify(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	for _, p := range presets {
		b.Run(p.source+"/"+p.header, func(b *testing.B) {
			v, err := signature.New(p.source, p.opts)
			if err != nil {
				b.Fatal(err)
			}
			secret := []byte(signature.GenerateSecret(p.source))
			secrets := [][]byte{[]byte("retiring secret"), secret}
			h := v.Sign(body, secret, testNow)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := v.Verify(h, body, secrets, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
