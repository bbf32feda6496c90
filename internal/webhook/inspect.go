package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// EventView is an event as the API shows it. Status sums up its runs:
// "received" (no trigger matched), "pending", "retrying", "dead" (at least
// one run is dead) or "succeeded" (all runs are).
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

// EventPage is one page of events; NextCursor fetches the next (older) one.
type EventPage struct {
	Events     []EventView `json:"events"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

func eventView(e store.Event, full bool) EventView {
	v := EventView{ID: e.ID, WebhookID: e.WebhookID, ProviderEventID: e.ProviderEventID, ReceivedAt: e.ReceivedAt,
		SourceIP: e.SourceIP, Runs: make([]RunView, 0, len(e.Runs))}
	v.Status = "received"
	rank := map[string]int{store.RunSucceeded: 1, store.RunPending: 2, store.RunRetrying: 3, store.RunDead: 4}
	for _, r := range e.Runs {
		if v.Status == "received" || rank[r.Status] > rank[v.Status] {
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

// Events lists a webhook's events.
func (s *Service) Events(ctx context.Context, orgID, webhookID string, f store.EventFilter) (EventPage, error) {
	if _, err := s.cfg.Store.GetWebhook(ctx, orgID, webhookID); err != nil {
		return EventPage{}, err
	}
	switch f.Status {
	case "", store.RunPending, store.RunRetrying, store.RunSucceeded, store.RunDead:
	default:
		return EventPage{}, problem.BadRequest("status must be pending, retrying, succeeded or dead, got %q", f.Status)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	events, err := s.cfg.Store.ListEvents(ctx, orgID, webhookID, f)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: make([]EventView, len(events))}
	for i, e := range events {
		page.Events[i] = eventView(e, false)
	}
	if len(events) == f.Limit && f.After == "" {
		page.NextCursor = events[len(events)-1].ID
	}
	return page, nil
}

// Event shows one event with its body, headers, runs and attempts.
func (s *Service) Event(ctx context.Context, orgID, eventID string) (EventView, error) {
	e, err := s.cfg.Store.GetEvent(ctx, orgID, eventID)
	if err != nil {
		return EventView{}, err
	}
	return eventView(e, true), nil
}

// ReplayResult says which runs were queued again.
type ReplayResult struct {
	Replayed int      `json:"replayed"`
	Runs     []string `json:"runs"`
}

// ReplayEvent queues the finished (dead or succeeded) runs of an event
// again.
func (s *Service) ReplayEvent(ctx context.Context, orgID, eventID string) (ReplayResult, error) {
	ids, err := s.cfg.Store.EventRunIDs(ctx, orgID, eventID)
	if err != nil {
		return ReplayResult{}, err
	}
	if len(ids) == 0 {
		if _, err := s.cfg.Store.GetEvent(ctx, orgID, eventID); err != nil {
			return ReplayResult{}, err
		}
	}
	return s.replay(ctx, orgID, ids)
}

// ReplayWebhook queues again up to 1000 of a webhook's runs in status
// (dead by default).
func (s *Service) ReplayWebhook(ctx context.Context, orgID, webhookID, status string) (ReplayResult, error) {
	if status == "" {
		status = store.RunDead
	}
	if status != store.RunDead && status != store.RunSucceeded {
		return ReplayResult{}, problem.BadRequest("status must be dead or succeeded, got %q", status)
	}
	if _, err := s.cfg.Store.GetWebhook(ctx, orgID, webhookID); err != nil {
		return ReplayResult{}, err
	}
	ids, err := s.cfg.Store.RunIDs(ctx, orgID, webhookID, status, 1000)
	if err != nil {
		return ReplayResult{}, err
	}
	return s.replay(ctx, orgID, ids)
}

func (s *Service) replay(ctx context.Context, orgID string, ids []string) (ReplayResult, error) {
	res := ReplayResult{Runs: []string{}}
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		changed, err := tx.ReplayRuns(ctx, orgID, ids)
		if err != nil {
			return err
		}
		res.Runs = append(res.Runs, changed...)
		return s.cfg.Queue.InsertRunsTx(ctx, tx.SQL(), changed)
	})
	res.Replayed = len(res.Runs)
	return res, err
}
