package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// TestResult is what POST /v1/webhooks/{id}/test reports: the ingest
// answer to a correctly signed sample event.
type TestResult struct {
	Status  int             `json:"status"`
	EventID string          `json:"event_id,omitempty"`
	Body    json.RawMessage `json:"body"`
	Sent    json.RawMessage `json:"sent"`
}

// SendTest signs body (a sample event of the webhook's source when nil)
// with the current secret and passes it through the whole ingest path:
// guards, verification, storage and triggers. Only the IP allowlist and
// rate limit are skipped, since the request comes from the server itself.
//
// The test is audited: it may run the webhook's triggers.
func (s *Service) SendTest(ctx context.Context, p access.Principal, webhookID string, body json.RawMessage) (TestResult, error) {
	w, err := s.load(ctx, p, access.Run, webhookID)
	if err != nil {
		return TestResult{}, err
	}
	ep, err := s.endpoints.get(ctx, w.ID)
	if err != nil {
		return TestResult{}, err
	}
	if len(body) == 0 {
		body = sampleEvent(w.Source)
	}
	req := httptest.NewRequestWithContext(context.WithValue(ctx, internalKey{}, true), http.MethodPost, "/hooks/"+w.ID, bytes.NewReader(body))
	req.SetPathValue("id", w.ID)
	req.RemoteAddr = "127.0.0.1:0"
	for k, v := range ep.verifier.Sign(body, ep.secret, time.Now()) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Plugboard-Test/1")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	out := TestResult{Status: rec.Code, Body: bytes.TrimSpace(rec.Body.Bytes()), Sent: body}
	var receipt Receipt
	if json.Unmarshal(rec.Body.Bytes(), &receipt) == nil {
		out.EventID = receipt.ID
	}
	_, err = s.cfg.Store.AppendAudit(ctx, p.Audit(ActionTest, "webhook", w.ID, map[string]any{"event": out.EventID, "status": out.Status}))
	return out, err
}

// sampleEvent is a plausible event of each source, with a fresh id so that
// repeated tests are not dropped as duplicates.
func sampleEvent(source string) json.RawMessage {
	evt := id.Random("evt_test", 10)
	var v any
	switch source {
	case signature.SourceStripe:
		v = map[string]any{"id": evt, "object": "event", "type": "payment_intent.succeeded", "livemode": false,
			"data": map[string]any{"object": map[string]any{"id": "pi_123456", "object": "payment_intent", "amount": 5000, "currency": "usd", "customer": "cus_123456", "status": "succeeded"}}}
	case signature.SourceGitHub:
		v = map[string]any{"zen": "Keep it logically awesome.", "hook_id": 1, "action": "opened",
			"repository": map[string]any{"full_name": "octo-org/hello-world"}, "sender": map[string]any{"login": "octocat"}}
	case signature.SourceSlack:
		v = map[string]any{"type": "event_callback", "event_id": "Ev" + evt, "team_id": "T0001",
			"event": map[string]any{"type": "app_mention", "user": "U0001", "text": "<@U0002> hello", "channel": "C0001"}}
	case signature.SourceShopify:
		v = map[string]any{"id": 820982911946154508, "email": "jon@example.com", "total_price": "199.00", "currency": "USD"}
	default:
		v = map[string]any{"type": "test.event", "id": evt, "data": map[string]any{"message": fmt.Sprintf("test event %s", evt)}}
	}
	b, _ := json.Marshal(v)
	return b
}
