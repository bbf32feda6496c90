package webhook

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// The headers stored with an event read back exactly as the sender sent
// them, whatever the values hold: the fast encoder writes what
// json.Marshal writes.
func TestHeadersAreStoredAsJSONMarshalWritesThem(t *testing.T) {
	cases := []http.Header{
		{},
		{"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}, "Content-Type": {"application/json"}},
		{"X-Many": {"a", "b", ""}, "Empty": {}, "Nil": nil},
		{"X-Quote": {`say "hi" \ there`}, "X-Html": {"<script>&amp;</script>"}},
		{"X-Control": {"line\nbreak\ttab\x00nul\x7f"}, "X-Utf8": {"naïve café ☕", "\u2028\u2029"}},
		{"X-Invalid": {"\xff\xfe bad utf-8"}, "Ünïcode-Name": {"v"}},
	}
	for _, h := range cases {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := headersJSON(h); string(got) != string(want) {
			t.Errorf("headers %q:\n got %s\nwant %s", h, got, want)
		}
	}
}

func FuzzHeadersJSON(f *testing.F) {
	f.Add("X-Name", "value", "second")
	f.Add("A\"b", "\xff<>&\n", "\u2028")
	f.Fuzz(func(t *testing.T, name, v1, v2 string) {
		h := http.Header{name: {v1, v2}, "X-Fixed": {v2}}
		want, _ := json.Marshal(h)
		if got := headersJSON(h); string(got) != string(want) {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}

// A body is read whole whatever length it announced.
func TestReadBodyReadsWhatCameNotWhatWasAnnounced(t *testing.T) {
	body := strings.Repeat("0123456789", 300)
	for _, announced := range []int64{-1, 0, 1, 10, 2999, 3000, 3001, 100000} {
		got, err := readBody(iotest.OneByteReader(strings.NewReader(body)), announced)
		if err != nil || string(got) != body {
			t.Errorf("announced %d: read %d bytes, %v", announced, len(got), err)
		}
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), 10); err != io.ErrUnexpectedEOF {
		t.Errorf("a failed read: %v", err)
	}
}
