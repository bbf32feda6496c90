package trigger

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// compiledWebhook is what a trigger run needs of its webhook.
type compiledWebhook struct {
	updatedAt time.Time
	info      Webhook
	orgID     string
	policy    RetryPolicy
	triggers  map[string]*Trigger
	creators  map[string]string // trigger id → the member it runs as
}

// cache keeps compiled triggers per webhook until the webhook changes (its
// updated_at moves), so runs do not recompile expressions.
type cache struct {
	store *store.Store
	mu    sync.Mutex
	byID  map[string]*compiledWebhook
}

func newCache(s *store.Store) *cache {
	return &cache{store: s, byID: map[string]*compiledWebhook{}}
}

func (c *cache) get(ctx context.Context, webhookID string) (*compiledWebhook, error) {
	c.mu.Lock()
	cw := c.byID[webhookID]
	c.mu.Unlock()
	if cw != nil {
		// One small read tells whether the compiled triggers still hold.
		at, err := c.store.WebhookUpdatedAt(ctx, webhookID)
		if err != nil {
			return nil, err
		}
		if cw.updatedAt.Equal(at) {
			return cw, nil
		}
	}
	w, err := c.store.GetWebhookForIngest(ctx, webhookID)
	if err != nil {
		return nil, err
	}
	policy, err := ParseRetryPolicy(w.Retry)
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	cw = &compiledWebhook{
		updatedAt: w.UpdatedAt, orgID: w.OrgID, policy: policy,
		info:     Webhook{ID: w.ID, Name: w.Name, Source: w.Source},
		triggers: make(map[string]*Trigger, len(w.Triggers)),
		creators: make(map[string]string, len(w.Triggers)),
	}
	for _, tr := range w.Triggers {
		var spec Spec
		if err := json.Unmarshal(tr.Spec, &spec); err != nil {
			return nil, fmt.Errorf("trigger %s: %w", tr.ID, err)
		}
		compiled, err := Compile(tr.ID, spec)
		if err != nil {
			return nil, fmt.Errorf("trigger %s no longer compiles: %w", tr.ID, err)
		}
		cw.triggers[tr.ID] = compiled
		cw.creators[tr.ID] = tr.CreatedBy
	}
	c.mu.Lock()
	c.byID[webhookID] = cw
	c.mu.Unlock()
	return cw, nil
}
