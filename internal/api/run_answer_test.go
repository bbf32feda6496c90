package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// A run answers with the documented fields only; what was sent is in the
// call log entry it names, not repeated in every answer.
func TestRunAnswersWithTheDocumentedFields(t *testing.T) {
	t.Parallel()
	_, req := servertest.OneAction(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"c1"}`))
	})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != 200 {
		t.Fatalf("run: %d %v", resp.StatusCode, err)
	}
	documented := map[string]bool{"status": true, "headers": true, "body": true, "duration_ms": true, "attempts": true, "log_id": true,
		"rate_limit": true, "stored": true, "pagination": true, "select_error": true}
	for key := range answer {
		if !documented[key] {
			t.Errorf("the run's answer has %q, which docs/api.md does not describe", key)
		}
	}
	if string(answer["body"]) != `{"id":"c1"}` {
		t.Errorf("body = %s", answer["body"])
	}
}
