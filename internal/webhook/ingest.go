package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// Receipt is the answer to an accepted delivery. The answer to Slack's
// url_verification request is its challenge alone: nothing is stored.
type Receipt struct {
	ID        string `json:"id,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Challenge string `json:"challenge,omitempty"`
}

type internalKey struct{}

// ServeHTTP handles POST /hooks/{id}.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, receipt, err := s.ingest(r)
	s.count(status)
	if err != nil {
		p, ok := problem.As(err)
		if !ok {
			s.cfg.Logger.ErrorContext(r.Context(), "webhook delivery failed", "webhook_id", r.PathValue("id"), "error", err)
			p = problem.New(http.StatusServiceUnavailable, "the event could not be stored; send it again")
		}
		if p.Status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
		problem.Write(w, p)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	b, _ := json.Marshal(receipt)
	_, _ = w.Write(append(b, '\n'))
}

// ingest runs the guards in order and stores the event; status is the
// outcome's HTTP status (for metrics).
func (s *Service) ingest(r *http.Request) (int, Receipt, error) {
	ctx := r.Context()
	if r.ContentLength > MaxBodyBytes {
		return http.StatusRequestEntityTooLarge, Receipt{}, tooLarge()
	}
	ep, err := s.endpoints.get(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return http.StatusNotFound, Receipt{}, problem.NotFound("no webhook at this URL")
	}
	if err != nil {
		return http.StatusServiceUnavailable, Receipt{}, err
	}
	internal := ctx.Value(internalKey{}) != nil
	ip := s.cfg.Clients.Addr(r)
	if !internal && !allowed(ep.allowed, ip) {
		return http.StatusForbidden, Receipt{}, problem.Forbidden("this webhook does not accept deliveries from %s", ip)
	}
	if !internal {
		ok, wait, err := s.cfg.Rate.Allow(ctx, "webhook:"+ep.webhook.ID, ep.rate, ep.burst)
		if err != nil {
			// A limiter outage must not drop events; it is logged and let through.
			s.cfg.Logger.WarnContext(ctx, "webhook rate limit unavailable", "webhook_id", ep.webhook.ID, "error", err)
		} else if !ok {
			p := problem.New(http.StatusTooManyRequests, "this webhook accepts %g events per second; retry after the delay in Retry-After", ep.rate)
			p.RetryAfter = max(wait, time.Second)
			return http.StatusTooManyRequests, Receipt{}, p
		}
	}
	body, err := readBody(http.MaxBytesReader(nil, r.Body, MaxBodyBytes), r.ContentLength)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return http.StatusRequestEntityTooLarge, Receipt{}, tooLarge()
	}
	if p, ok := problem.As(err); ok {
		return p.Status, Receipt{}, p // the body was too slow
	}
	if err != nil {
		return http.StatusBadRequest, Receipt{}, problem.BadRequest("read body: %v", err)
	}
	now := time.Now()
	if err := ep.verifier.Verify(r.Header, body, ep.secrets(now), now); err != nil {
		return http.StatusUnauthorized, Receipt{}, problem.New(http.StatusUnauthorized, "the %s signature does not verify: %s", ep.webhook.Source, reason(err))
	}
	if ep.webhook.Source == signature.SourceSlack {
		if challenge, ok := slackChallenge(body); ok {
			return http.StatusOK, Receipt{Challenge: challenge}, nil
		}
	}
	return s.accept(ctx, ep, r.Header, body, ip.String(), now)
}

// accept picks the triggers whose condition holds and commits the event.
func (s *Service) accept(ctx context.Context, ep *endpoint, h http.Header, body []byte, ip string, now time.Time) (int, Receipt, error) {
	headers := headersJSON(h)
	a := &accepted{event: store.Event{
		ID: store.NewEventID(), OrgID: ep.webhook.OrgID, WebhookID: ep.webhook.ID,
		ProviderEventID: ep.verifier.EventID(h, body), Headers: string(headers), Body: body, SourceIP: ip, ReceivedAt: now,
	}}
	var env map[string]any
	if ep.needsEnv {
		env = trigger.Env(ep.info, h, body)
	}
	for _, tr := range ep.triggers {
		ok, err := tr.Match(env)
		if err != nil {
			// The event is stored either way; a condition that cannot be
			// evaluated on it simply does not match.
			s.cfg.Logger.DebugContext(ctx, "trigger condition failed", "webhook_id", ep.webhook.ID, "trigger_id", tr.ID, "error", err)
			continue
		}
		if ok {
			a.triggers = append(a.triggers, tr.ID)
		}
	}
	res := s.committer.submit(ctx, a)
	if res.err != nil {
		if errors.Is(res.err, errClosing) {
			return http.StatusServiceUnavailable, Receipt{}, &problem.Error{Status: http.StatusServiceUnavailable, Title: "Service Unavailable",
				Detail: "the server is restarting; send the event again", RetryAfter: time.Second}
		}
		return http.StatusServiceUnavailable, Receipt{}, res.err
	}
	if res.duplicate {
		id, err := s.cfg.Store.EventIDByProviderID(ctx, ep.webhook.ID, a.event.ProviderEventID)
		if errors.Is(err, store.ErrNotFound) { // not a repeat: the webhook was deleted meanwhile
			return http.StatusNotFound, Receipt{}, problem.NotFound("no webhook at this URL")
		}
		if err != nil {
			return http.StatusServiceUnavailable, Receipt{}, err
		}
		return http.StatusAccepted, Receipt{ID: id, Duplicate: true}, nil
	}
	return http.StatusOK, Receipt{ID: a.event.ID}, nil
}

// slackChallenge reads Slack's url_verification handshake, sent (signed)
// when a URL is registered in the Events API; Slack expects the challenge
// back before it sends any event there.
func slackChallenge(body []byte) (string, bool) {
	var msg struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(body, &msg) != nil || msg.Type != "url_verification" || msg.Challenge == "" {
		return "", false
	}
	return msg.Challenge, true
}

func tooLarge() error {
	return problem.New(http.StatusRequestEntityTooLarge, "the event exceeds the %d MB limit", MaxBodyBytes>>20)
}

// reason keeps the sentinel's wording for the sender: which check failed,
// never what was expected.
func reason(err error) string {
	for _, e := range []error{signature.ErrMissingSignature, signature.ErrTimestampTooOld, signature.ErrTimestampInFuture, signature.ErrBadSignature} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return strings.SplitN(err.Error(), ":", 2)[0]
}

func (s *Service) count(status int) {
	if s.cfg.Metrics == nil {
		return
	}
	c, ok := s.counters[status]
	if !ok {
		c = s.cfg.Metrics.Webhooks.WithLabelValues("error")
	}
	c.Inc()
}

// outcomes names the outcome of a delivery answered with each status, for
// the deliveries' metric; any other status is an "error".
var outcomes = map[int]string{
	http.StatusOK: "accepted", http.StatusAccepted: "duplicate", http.StatusUnauthorized: "unauthorized",
	http.StatusForbidden: "forbidden", http.StatusRequestEntityTooLarge: "too_large", http.StatusTooManyRequests: "rate_limited",
	http.StatusNotFound: "unknown_webhook",
}

// readBody reads r to its end. A body that announces its length is read
// into one buffer of that size, where io.ReadAll would grow one from 512
// bytes; the length is only a hint, and a body longer or shorter than it
// is read whole all the same.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 || length > MaxBodyBytes {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, length+1) // +1: the read that meets the end needs room
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
