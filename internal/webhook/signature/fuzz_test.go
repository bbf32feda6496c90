package signature

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// FuzzVerify parses fuzzed signature, timestamp and id headers with each
// preset. The secret is one the fuzzer never sees, so no fuzzed header can
// carry a genuine signature: a request whose every header is fuzzed must be
// refused. Genuine headers, some of them replaced by fuzzed values, must
// be refused once the body changes: a signature that verifies must cover
// the body. Nothing may panic.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_790_000_000, 0)
	seeds := []struct {
		a, b, c string
	}{
		{"t=1790000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", "", ""},
		{"t=1790000000,v1=,v1=,v0=abc", "1790000000", "evt_1"},
		{"sha256=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", "delivery-1", ""},
		{"v0=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", "1790000000", ""},
		{"Uleo6Ofs6+2jKvr2LNyj+lHK1+d6DlbVU21M6OEI2L0=", "webhook-id-1", "1790000000"},
		{"v1,Uleo6Ofs6+2jKvr2LNyj+lHK1+d6DlbVU21M6OEI2L0= v1a,xyz v1,", "msg_1", "1790000000"},
		{"t=-9223372036854775808,v1=00", "99999999999999999999", "\x00\r\n"},
		{"", "", ""},
	}
	for i, s := range seeds {
		for preset := range len(Sources()) {
			f.Add(uint8(preset), uint8(i), s.a, s.b, s.c, []byte(`{"id":"evt_1","type":"invoice.paid"}`))
		}
	}
	secret := []byte("whsec_the fuzzer never sees this secret 2f1c")
	f.Fuzz(func(t *testing.T, preset, keep uint8, a, b, c string, body []byte) {
		source := Sources()[int(preset)%len(Sources())]
		v, err := New(source, Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, err := DecodeSecret(source, GenerateSecret(source))
		if err != nil {
			t.Fatal(err)
		}
		if source != SourceStandard {
			key = secret
		}
		genuine := v.Sign(body, key, now)
		if err := v.Verify(genuine, body, [][]byte{key}, now); err != nil {
			t.Fatalf("%s refused its own signature: %v", source, err)
		}
		// Replace the headers keep does not mark with the fuzzed values.
		names := make([]string, 0, len(genuine))
		for name := range genuine {
			names = append(names, name)
		}
		slices.Sort(names)
		h := http.Header{}
		replaced := 0
		for i, name := range names {
			if keep&(1<<i) != 0 {
				h[name] = genuine[name]
				continue
			}
			replaced++
			if s := []string{a, b, c}[i%3]; s != "" {
				h.Set(name, s)
			}
		}
		_ = v.EventID(h, body)
		if err := v.Verify(h, body, [][]byte{key}, now); err != nil {
			return
		}
		if replaced == len(names) {
			t.Fatalf("%s accepted headers that are all the fuzzer's: %v", source, h)
		}
		tampered := append(slices.Clone(body), 'x')
		if err := v.Verify(h, tampered, [][]byte{key}, now); err == nil {
			t.Fatalf("%s accepted a changed body with headers %v", source, h)
		}
	})
}
