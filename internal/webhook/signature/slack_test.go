package signature_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// The example from Slack's "Verifying requests from Slack" documentation: a
// /webhook-collect slash command with empty text. (A copy of this example with
// "command=%2Fwebcast&text=test" circulates too; its body does not produce the
// documented signature.)
const (
	slackDocsSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	slackDocsTimestamp = 1531420618
	slackDocsBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackDocsSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestSlackDocumentationVector(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "slack", signature.Options{})
	secret := mustDecode(t, "slack", slackDocsSecret)
	now := time.Unix(slackDocsTimestamp, 0).Add(30 * time.Second)

	h := http.Header{}
	h.Set("X-Slack-Signature", slackDocsSignature)
	h.Set("X-Slack-Request-Timestamp", "1531420618")
	if err := v.Verify(h, []byte(slackDocsBody), [][]byte{secret}, now); err != nil {
		t.Errorf("Verify(documented vector) = %v", err)
	}
	signed := v.Sign([]byte(slackDocsBody), secret, time.Unix(slackDocsTimestamp, 0))
	if got := signed.Get("X-Slack-Signature"); got != slackDocsSignature {
		t.Errorf("Sign = %q, want %q", got, slackDocsSignature)
	}
	if got := signed.Get("X-Slack-Request-Timestamp"); got != "1531420618" {
		t.Errorf("Sign timestamp = %q", got)
	}
}

func TestSlackEventID(t *testing.T) {
	t.Parallel()
	v := mustNew(t, "slack", signature.Options{})
	cases := []struct {
		name, body, want string
	}{
		{"events API envelope", `{"token":"x","team_id":"T1","type":"event_callback","event_id":"Ev08MFMKH6","event":{"type":"app_mention"}}`, "Ev08MFMKH6"},
		{"slash command form", slackDocsBody, ""},
		{"url verification challenge", `{"token":"x","challenge":"3eZbrw1aB","type":"url_verification"}`, ""},
		{"empty body", "", ""},
	}
	for _, c := range cases {
		if got := v.EventID(http.Header{}, []byte(c.body)); got != c.want {
			t.Errorf("%s: EventID = %q, want %q", c.name, got, c.want)
		}
	}
}
