package logging_test

import (
	"fmt"

	"github.com/plugboard/plugboard/internal/logging"
)

func ExampleRedactJSON() {
	body := []byte(`{"access_token":"ya29.abc","token_type":"Bearer","expires_in":3599,"note":"key sk_live_42"}`)
	fmt.Println(string(logging.RedactJSON(body, "sk_live_42")))
	// Output: {"access_token":"[REDACTED]","token_type":"Bearer","expires_in":3599,"note":"key [REDACTED]"}
}

func ExampleRedactURL() {
	fmt.Println(logging.RedactURL("https://bot:hunter2@api.example.com/v1/items?api_key=abc&page=2"))
	fmt.Println(logging.RedactURL("https://app.example.com/oauth/callback?code=xyz&state=s1", "code", "state"))
	// Output:
	// https://bot:[REDACTED]@api.example.com/v1/items?api_key=[REDACTED]&page=2
	// https://app.example.com/oauth/callback?code=[REDACTED]&state=[REDACTED]
}
