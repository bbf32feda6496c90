package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
)

// EventView is an event as the API shows it. Status sums up its runs:
// "unmatched" (no trigger's condition held, so nothing will run),
// "pending", "awaiting_approval", "retrying", "dead" (at least one run is
// dead) or "succeeded" (all runs are).
type EventView struct {
	ID              string            `json:"id"`
	WebhookID       string            `json:"webhook_id"`
	ProviderEventID string            `json:"provider_event_id,omitempty"`
	Status          string            `json:"status"`
	ReceivedAt      time.Time         `json:"received_at"`
	SourceIP        string            `json:"source_ip"`
	Headers         map[string]string `json:"headers,omitempty"`
	Body            any               `json:"body,omitempty"`
	Runs            []RunView         `json:"runs"`
}

// RunView is one trigger run.
type RunView struct {
	ID         string        `json:"id"`
	TriggerID  string        `json:"trigger_id"`
	Status     string        `json:"status"`
	Attempts   int           `json:"attempts"`
	Replays    int           `json:"replays,omitempty"`
	NextAt     time.Time     `json:"next_attempt_at,omitzero"`
	LastStatus int           `json:"last_status,omitempty"`
	LastError  string        `json:"last_error,omitempty"`
	History    []AttemptView `json:"attempt_history,omitempty"`
}

// AttemptView is one attempt of a run.
type AttemptView struct {
	Number     int       `json:"number"`
	Status     string    `json:"status"`
	HTTPStatus int       `json:"http_status,omitempty"`
	DurationMS float64   `json:"duration_ms"`
	Error      string    `json:"error,omitempty"`
	LogID      string    `json:"log_id,omitempty"`
	StartedAt  time.Time `json:"started_at"`
}

// EventUnmatched is the status of an event no trigger matched.
const EventUnmatched = store.EventUnmatched

// EventPage is one page of events; NextCursor fetches the next (older) one.
type EventPage struct {
	Events     []EventView `json:"events"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// eventView renders e; runs of triggers in hidden are left out.
func eventView(e store.Event, full bool, hidden map[string]bool) EventView {
	v := EventView{ID: e.ID, WebhookID: e.WebhookID, ProviderEventID: e.ProviderEventID, ReceivedAt: e.ReceivedAt,
		SourceIP: e.SourceIP, Runs: make([]RunView, 0, len(e.Runs))}
	v.Status = EventUnmatched
	rank := map[string]int{store.RunSucceeded: 1, store.RunPending: 2, store.RunAwaitingApproval: 3, store.RunRetrying: 4, store.RunDead: 5}
	for _, r := range e.Runs {
		if hidden[r.TriggerID] {
			continue
		}
		if v.Status == EventUnmatched || rank[r.Status] > rank[v.Status] {
			v.Status = r.Status
		}
		rv := RunView{ID: r.ID, TriggerID: r.TriggerID, Status: r.Status, Attempts: r.Attempts, Replays: r.Replays,
			LastStatus: r.LastStatus, LastError: r.LastError}
		if r.Status == store.RunRetrying {
			rv.NextAt = r.NextAt
		}
		for _, a := range r.History {
			rv.History = append(rv.History, AttemptView(a))
		}
		v.Runs = append(v.Runs, rv)
	}
	if full {
		var h http.Header
		_ = json.Unmarshal([]byte(e.Headers), &h)
		v.Headers = map[string]string{}
		for k, vals := range logging.RedactHeaders(h) {
			if len(vals) > 0 {
				v.Headers[k] = vals[0]
			}
		}
		if json.Valid(e.Body) {
			v.Body = json.RawMessage(e.Body)
		} else if len(e.Body) > 0 {
			v.Body = string(e.Body)
		}
	}
	return v
}

// hiddenTriggers are the triggers of w that p may not see.
func (s *Service) hiddenTriggers(ctx context.Context, p access.Principal, w store.Webhook) (map[string]bool, error) {
	hidden := map[string]bool{}
	for _, tr := range w.Triggers {
		var spec trigger.Spec
		_ = json.Unmarshal(tr.Spec, &spec)
		ok, err := s.sees(ctx, p, spec)
		if err != nil {
			return nil, err
		}
		if !ok {
			hidden[tr.ID] = true
		}
	}
	return hidden, nil
}

// Events lists a webhook's events, with the runs p may see.
func (s *Service) Events(ctx context.Context, p access.Principal, webhookID string, f store.EventFilter) (EventPage, error) {
	w, err := s.load(ctx, p, access.Read, webhookID)
	if err != nil {
		return EventPage{}, err
	}
	switch f.Status {
	case "", store.RunPending, store.RunAwaitingApproval, store.RunRetrying, store.RunSucceeded, store.RunDead, store.EventUnmatched:
	default:
		return EventPage{}, problem.BadRequest("status must be unmatched, pending, awaiting_approval, retrying, succeeded or dead, got %q", f.Status)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	hidden, err := s.hiddenTriggers(ctx, p, w)
	if err != nil {
		return EventPage{}, err
	}
	events, err := s.cfg.Store.ListEvents(ctx, p.Org.ID, webhookID, f)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: make([]EventView, len(events))}
	for i, e := range events {
		page.Events[i] = eventView(e, false, hidden)
	}
	if len(events) == f.Limit && f.After == "" {
		page.NextCursor = events[len(events)-1].ID
	}
	return page, nil
}

// Event shows one event with its body, headers, and the runs and attempts
// p may see.
func (s *Service) Event(ctx context.Context, p access.Principal, eventID string) (EventView, error) {
	e, w, err := s.event(ctx, p, access.Read, eventID)
	if err != nil {
		return EventView{}, err
	}
	hidden, err := s.hiddenTriggers(ctx, p, w)
	if err != nil {
		return EventView{}, err
	}
	return eventView(e, true, hidden), nil
}

func (s *Service) event(ctx context.Context, p access.Principal, perm access.Permission, eventID string) (store.Event, store.Webhook, error) {
	if err := p.May(perm); err != nil {
		return store.Event{}, store.Webhook{}, err
	}
	e, err := s.cfg.Store.GetEvent(ctx, p.Org.ID, eventID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Event{}, store.Webhook{}, access.NotFound("event", eventID)
	}
	if err != nil {
		return store.Event{}, store.Webhook{}, err
	}
	w, err := s.cfg.Store.GetWebhook(ctx, p.Org.ID, e.WebhookID)
	return e, w, err
}

// ReplayResult says which runs were queued again.
type ReplayResult struct {
	Replayed int      `json:"replayed"`
	Runs     []string `json:"runs"`
}

// ReplayEvent queues the finished (dead or succeeded) runs of an event
// that p may see again.
func (s *Service) ReplayEvent(ctx context.Context, p access.Principal, eventID string) (ReplayResult, error) {
	e, w, err := s.event(ctx, p, access.Run, eventID)
	if err != nil {
		return ReplayResult{}, err
	}
	hidden, err := s.hiddenTriggers(ctx, p, w)
	if err != nil {
		return ReplayResult{}, err
	}
	var ids []string
	for _, r := range e.Runs {
		if !hidden[r.TriggerID] {
			ids = append(ids, r.ID)
		}
	}
	return s.replay(ctx, p, "event", e.ID, ids)
}

// ReplayWebhook queues again up to 1000 of a webhook's runs in status
// (dead by default) that p may see.
func (s *Service) ReplayWebhook(ctx context.Context, p access.Principal, webhookID, status string) (ReplayResult, error) {
	if status == "" {
		status = store.RunDead
	}
	if status != store.RunDead && status != store.RunSucceeded {
		return ReplayResult{}, problem.Invalid(fmt.Sprintf("status must be dead or succeeded, got %q", status), []problem.FieldError{{Field: "status", Message: "must be dead or succeeded"}})
	}
	w, err := s.load(ctx, p, access.Run, webhookID)
	if err != nil {
		return ReplayResult{}, err
	}
	hidden, err := s.hiddenTriggers(ctx, p, w)
	if err != nil {
		return ReplayResult{}, err
	}
	runs, err := s.cfg.Store.Runs(ctx, p.Org.ID, webhookID, status, 1000)
	if err != nil {
		return ReplayResult{}, err
	}
	var ids []string
	for _, r := range runs {
		if !hidden[r.TriggerID] {
			ids = append(ids, r.ID)
		}
	}
	return s.replay(ctx, p, "webhook", w.ID, ids)
}

// replay queues runs again, in one transaction with their jobs and the
// audit entry.
func (s *Service) replay(ctx context.Context, p access.Principal, targetType, targetID string, ids []string) (ReplayResult, error) {
	res := ReplayResult{Runs: []string{}}
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		changed, err := tx.ReplayRuns(ctx, p.Org.ID, ids)
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, changed...)
		if err := s.cfg.Queue.InsertTx(ctx, tx.SQL(), trigger.Jobs(changed)); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionReplay, targetType, targetID, map[string]any{"runs": len(changed)}))
		return err
	})
	res.Replayed = len(res.Runs)
	return res, err
}

// RunCounts counts a webhook's runs by status.
func (s *Service) RunCounts(ctx context.Context, p access.Principal, webhookID string) (map[string]int, error) {
	w, err := s.load(ctx, p, access.Read, webhookID)
	if err != nil {
		return nil, err
	}
	return s.cfg.Store.CountRuns(ctx, p.Org.ID, w.ID)
}
