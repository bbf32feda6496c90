package signature_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// preset describes, for the shared suite below, how one scheme lays out its
// signature header.
type preset struct {
	source      string
	opts        signature.Options
	header      string // the header carrying the signature(s)
	timestamped bool
	// join puts a decoy signature header value before a valid one, the way the
	// scheme carries several signatures in one header.
	join func(decoy, valid string) string
}

func commaJoin(decoy, valid string) string { return decoy + "," + valid }

var presets = []preset{
	{
		source: "stripe", header: "Stripe-Signature", timestamped: true,
		join: func(decoy, valid string) string {
			// Both carry the same t=; keep the decoy's v1 and a v0 ahead of the valid pair.
			_, decoyV1, _ := strings.Cut(decoy, ",")
			return "v0=" + strings.Repeat("ab", 32) + "," + decoyV1 + "," + valid
		},
	},
	{source: "github", header: "X-Hub-Signature-256", join: commaJoin},
	{source: "slack", header: "X-Slack-Signature", timestamped: true, join: commaJoin},
	{source: "shopify", header: "X-Shopify-Hmac-Sha256", join: commaJoin},
	{
		source: "standard", header: "Webhook-Signature", timestamped: true,
		join: func(decoy, valid string) string { return "v1a,c29tZXRoaW5n " + decoy + " " + valid },
	},
	{source: "hmac", header: "X-Signature", join: commaJoin},
	{
		source: "hmac", header: "X-Acme-Signature", join: commaJoin,
		opts: signature.Options{Algorithm: "sha512", Encoding: "base64", Header: "X-Acme-Signature", Prefix: "sha512=", EventIDHeader: "X-Acme-Delivery"},
	},
	{
		source: "hmac", header: "X-Hook-Sig", join: commaJoin,
		opts: signature.Options{Algorithm: "sha1", Header: "X-Hook-Sig", Prefix: "sha1="},
	},
}

var (
	testBody = []byte(`{"id":"evt_1","event_id":"Ev1","type":"invoice.paid","data":{"object":{"customer":"cus_1"}}}`)
	testNow  = time.Unix(1_750_000_000, 0)
)

func TestVerifierSuite(t *testing.T) {
	t.Parallel()
	for _, p := range presets {
		t.Run(p.source+"/"+p.header, func(t *testing.T) {
			t.Parallel()
			v, err := signature.New(p.source, p.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			secret, otherSecret := key(t, p.source), key(t, p.source)

			tampered := append([]byte(nil), testBody...)
			tampered[len(tampered)/2] ^= 1

			decoy := v.Sign(testBody, otherSecret, testNow)
			several := v.Sign(testBody, secret, testNow)
			several.Set(p.header, p.join(decoy.Get(p.header), several.Get(p.header)))

			missing := v.Sign(testBody, secret, testNow)
			missing.Del(p.header)

			cases := []struct {
				name    string
				headers http.Header
				body    []byte
				secrets [][]byte
				want    error
			}{
				{"round trip", v.Sign(testBody, secret, testNow), testBody, [][]byte{secret}, nil},
				{"tampered body", v.Sign(testBody, secret, testNow), tampered, [][]byte{secret}, signature.ErrBadSignature},
				{"wrong secret", v.Sign(testBody, otherSecret, testNow), testBody, [][]byte{secret}, signature.ErrBadSignature},
				{"new secret during rotation", v.Sign(testBody, secret, testNow), testBody, [][]byte{otherSecret, secret}, nil},
				{"old secret during rotation", v.Sign(testBody, otherSecret, testNow), testBody, [][]byte{otherSecret, secret}, nil},
				{"missing header", missing, testBody, [][]byte{secret}, signature.ErrMissingSignature},
				{"several signatures one valid", several, testBody, [][]byte{secret}, nil},
				{"several signatures none valid", several, testBody, [][]byte{key(t, p.source)}, signature.ErrBadSignature},
				{"no secret", v.Sign(testBody, secret, testNow), testBody, nil, signature.ErrBadSignature},
				{"only an empty secret", v.Sign(nil, nil, testNow), nil, [][]byte{{}}, signature.ErrBadSignature},
				{"empty body", v.Sign(nil, secret, testNow), nil, [][]byte{secret}, nil},
			}
			if p.timestamped {
				cases = append(cases, []struct {
					name    string
					headers http.Header
					body    []byte
					secrets [][]byte
					want    error
				}{
					{"within tolerance in the past", v.Sign(testBody, secret, testNow.Add(-4*time.Minute)), testBody, [][]byte{secret}, nil},
					{"within tolerance in the future", v.Sign(testBody, secret, testNow.Add(4*time.Minute)), testBody, [][]byte{secret}, nil},
					{"expired", v.Sign(testBody, secret, testNow.Add(-6*time.Minute)), testBody, [][]byte{secret}, signature.ErrTimestampTooOld},
					{"from the future", v.Sign(testBody, secret, testNow.Add(6*time.Minute)), testBody, [][]byte{secret}, signature.ErrTimestampInFuture},
					{"expired and forged", v.Sign(testBody, otherSecret, testNow.Add(-time.Hour)), testBody, [][]byte{secret}, signature.ErrBadSignature},
				}...)
			}
			for _, c := range cases {
				err := v.Verify(c.headers, c.body, c.secrets, testNow)
				if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
					t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
				}
				if err != nil {
					// The value a genuine sender would have sent must never leak.
					expected := v.Sign(c.body, secret, testNow).Get(p.header)
					if expected != "" && strings.Contains(err.Error(), sigPart(expected)) {
						t.Errorf("%s: error %q reveals the expected signature", c.name, err)
					}
				}
			}
		})
	}
}

func TestTimestampedPresetsHonourTolerance(t *testing.T) {
	t.Parallel()
	for _, source := range []string{"stripe", "slack", "standard"} {
		t.Run(source, func(t *testing.T) {
			t.Parallel()
			v, err := signature.New(source, signature.Options{Tolerance: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			secret := key(t, source)
			if err := v.Verify(v.Sign(testBody, secret, testNow.Add(-59*time.Minute)), testBody, [][]byte{secret}, testNow); err != nil {
				t.Errorf("59 minutes old with a 1h tolerance: %v", err)
			}
			err = v.Verify(v.Sign(testBody, secret, testNow.Add(-61*time.Minute)), testBody, [][]byte{secret}, testNow)
			if !errors.Is(err, signature.ErrTimestampTooOld) {
				t.Errorf("61 minutes old with a 1h tolerance: %v, want ErrTimestampTooOld", err)
			}
		})
	}
}

func TestSignedEventsCarryAnEventID(t *testing.T) {
	t.Parallel()
	for _, p := range presets {
		t.Run(p.source+"/"+p.header, func(t *testing.T) {
			t.Parallel()
			v, err := signature.New(p.source, p.opts)
			if err != nil {
				t.Fatal(err)
			}
			first := v.EventID(v.Sign(testBody, key(t, p.source), testNow), testBody)
			second := v.EventID(v.Sign(testBody, key(t, p.source), testNow), testBody)
			switch {
			case p.source == "stripe":
				if first != "evt_1" {
					t.Errorf("EventID = %q, want the body's id evt_1", first)
				}
			case p.source == "slack":
				if first != "Ev1" {
					t.Errorf("EventID = %q, want the body's event_id Ev1", first)
				}
			case p.source == "hmac" && p.opts.EventIDHeader == "":
				if first != "" {
					t.Errorf("EventID = %q without an EventIDHeader, want none", first)
				}
			default:
				// Two test sends of one body must not look like a redelivery.
				if first == "" || first == second {
					t.Errorf("EventID of two signed test events = %q and %q, want two distinct ids", first, second)
				}
			}
		})
	}
}

// sigPart returns the encoded signature inside a header value, dropping the
// scheme's prefixes, so that a leak is caught whatever wraps it.
func sigPart(value string) string {
	value = strings.TrimRight(value, "=")
	value = value[strings.LastIndexAny(value, "=,")+1:]
	if len(value) > 16 {
		return value[:16]
	}
	return value
}
