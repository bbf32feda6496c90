package logging

import (
	"encoding/json"
	"testing"
)

func TestMaskSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		secrets []string
		want    string
	}{
		{"secret-looking keys stay", `{"token":"created-for-you","echo":"sk_1"}`, []string{"sk_1"},
			`{"token":"created-for-you","echo":"[REDACTED]"}`},
		{"inside a longer string", `{"url":"/x?access_key=sk_1&a=b"}`, []string{"sk_1"},
			`{"url":"/x?access_key=[REDACTED]&a=b"}`},
		{"escaped in JSON", `{"k":"\u0073k_1"}`, []string{"sk_1"}, `{"k":"[REDACTED]"}`},
		{"a secret with a quote", `{"k":"a\"b","n":1}`, []string{`a"b`}, `{"k":"[REDACTED]","n":1}`},
		{"a secret that ends a string", `{"k":"xa","l":"a"}`, []string{`a"`}, `{"k":"xa","l":"a"}`},
		{"URL-escaped", `{"next":"https://x.test/?k=a%2Fb"}`, []string{"a/b"}, `{"next":"https://x.test/?k=[REDACTED]"}`},
		{"keys too", `{"sk_1":true}`, []string{"sk_1"}, `{"[REDACTED]":true}`},
		{"numbers untouched", `{"id":12345,"s":"123"}`, []string{"123"}, `{"id":12345,"s":"[REDACTED]"}`},
		{"text", "token=sk_1\n", []string{"sk_1"}, "token=[REDACTED]\n"},
		{"cut off", `{"a":"sk_`, []string{"sk_"}, `{"a":"[REDACTED]`},
		{"longest first", `{"a":"abcd"}`, []string{"ab", "abcd"}, `{"a":"[REDACTED]"}`},
		{"nothing to mask", `{"a":"b"}`, []string{"zzz", ""}, `{"a":"b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(tt.in)
			got := string(MaskSecrets(in, tt.secrets...))
			if got != tt.want {
				t.Errorf("MaskSecrets(%s) =\n %s\nwant\n %s", tt.in, got, tt.want)
			}
			if json.Valid(in) && !json.Valid([]byte(got)) {
				t.Errorf("valid JSON became invalid: %s", got)
			}
			if string(in) != tt.in {
				t.Error("the input was modified")
			}
		})
	}
}

// A Masker masks a string exactly as MaskSecrets masks its bytes, and
// hands back the very string when there is nothing to mask.
func TestMaskerMasksStringsAsMaskSecretsDoes(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr/et", "tok-1"}
	m := NewMasker(secrets...)
	for _, in := range []string{
		"plain", "Bearer tok-1", "a s3cr%2Fet b", `{"k":"s3cr\/et"}`, ` ["tok\u002d1"]`, "", "tok-1tok-1",
	} {
		want := string(MaskSecrets([]byte(in), secrets...))
		if got := m.MaskString(in); got != want {
			t.Errorf("MaskString(%q) = %q, MaskSecrets gives %q", in, got, want)
		}
	}
}
