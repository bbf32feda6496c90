package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhook/trigger"
)

// compiledWebhook is what a trigger run needs of its webhook.
type compiledWebhook struct {
	updatedAt time.Time
	info      trigger.Webhook
	orgID     string
	policy    RetryPolicy
	triggers  map[string]*trigger.Trigger
}

// triggerCache keeps compiled triggers per webhook until the webhook
// changes (its updated_at moves), so runs do not recompile expressions.
type triggerCache struct {
	store *store.Store
	mu    sync.Mutex
	byID  map[string]*compiledWebhook
}

func newTriggerCache(s *store.Store) *triggerCache {
	return &triggerCache{store: s, byID: map[string]*compiledWebhook{}}
}

func (c *triggerCache) get(ctx context.Context, webhookID string) (*compiledWebhook, error) {
	w, err := c.store.GetWebhookForIngest(ctx, webhookID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	cw := c.byID[webhookID]
	c.mu.Unlock()
	if cw != nil && cw.updatedAt.Equal(w.UpdatedAt) {
		return cw, nil
	}
	policy, err := ParseRetryPolicy(w.Retry)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	cw = &compiledWebhook{
		updatedAt: w.UpdatedAt, orgID: w.OrgID, policy: policy,
		info:     trigger.Webhook{ID: w.ID, Name: w.Name, Source: w.Source},
		triggers: make(map[string]*trigger.Trigger, len(w.Triggers)),
	}
	for _, tr := range w.Triggers {
		var spec trigger.Spec
		if err := json.Unmarshal(tr.Spec, &spec); err != nil {
			return nil, fmt.Errorf("trigger %s: %w", tr.ID, err)
		}
		compiled, err := trigger.Compile(tr.ID, spec)
		if err != nil {
			return nil, fmt.Errorf("trigger %s no longer compiles: %w", tr.ID, err)
		}
		cw.triggers[tr.ID] = compiled
	}
	c.mu.Lock()
	c.byID[webhookID] = cw
	c.mu.Unlock()
	return cw, nil
}
