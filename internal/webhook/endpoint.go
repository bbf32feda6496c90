package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/vault"
	"github.com/plugboard/plugboard/internal/webhook/signature"
)

// endpoint is a webhook ready for ingest: secrets opened, verifier built,
// allowlist parsed and triggers compiled.
type endpoint struct {
	webhook     store.Webhook
	info        trigger.Webhook
	verifier    signature.Verifier
	secret      []byte
	previous    []byte // verifies until previousEnd
	previousEnd time.Time
	allowed     []netip.Prefix
	rate        float64
	burst       int
	triggers    []*trigger.Trigger
	needsEnv    bool // some trigger has a condition to evaluate
	loadedAt    time.Time
}

// secrets returns the keys that verify at now.
func (e *endpoint) secrets(now time.Time) [][]byte {
	if e.previous != nil && now.Before(e.previousEnd) {
		return [][]byte{e.secret, e.previous}
	}
	return [][]byte{e.secret}
}

// endpointCache keeps endpoints for ttl; local changes invalidate at once,
// other nodes' changes are seen within ttl.
type endpointCache struct {
	store *store.Store
	vault *vault.Keyring
	ttl   time.Duration
	mu    sync.RWMutex
	byID  map[string]*endpoint
}

func newEndpointCache(s *store.Store, v *vault.Keyring, ttl time.Duration) *endpointCache {
	return &endpointCache{store: s, vault: v, ttl: ttl, byID: map[string]*endpoint{}}
}

func (c *endpointCache) get(ctx context.Context, id string) (*endpoint, error) {
	c.mu.RLock()
	e := c.byID[id]
	c.mu.RUnlock()
	if e != nil && time.Since(e.loadedAt) < c.ttl {
		return e, nil
	}
	w, err := c.store.GetWebhookForIngest(ctx, id)
	if err != nil {
		return nil, err
	}
	e, err = c.build(w)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.byID) > 100_000 {
		clear(c.byID)
	}
	c.byID[id] = e
	c.mu.Unlock()
	return e, nil
}

func (c *endpointCache) invalidate(id string) {
	c.mu.Lock()
	delete(c.byID, id)
	c.mu.Unlock()
}

func (c *endpointCache) build(w store.Webhook) (*endpoint, error) {
	opts, err := parseOptions(w.Options)
	if err != nil {
		return nil, err
	}
	verifier, err := signature.New(w.Source, opts.signature())
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	e := &endpoint{webhook: w, verifier: verifier, loadedAt: time.Now(),
		info: trigger.Webhook{ID: w.ID, Name: w.Name, Source: w.Source}}
	if e.secret, err = c.openSecret(w, w.Secret); err != nil {
		return nil, err
	}
	if w.PreviousSecret != "" {
		if e.previous, err = c.openSecret(w, w.PreviousSecret); err != nil {
			return nil, err
		}
		e.previousEnd = w.PreviousExpiresAt
	}
	if e.allowed, err = clientip.ParsePrefixes(w.AllowedIPs); err != nil {
		return nil, err
	}
	e.rate = w.RateLimitPerSecond
	if e.rate <= 0 {
		e.rate = DefaultRateLimit
	}
	e.burst = max(1, int(math.Ceil(e.rate)))
	for _, tr := range w.Triggers {
		var spec trigger.Spec
		if err := json.Unmarshal(tr.Spec, &spec); err != nil {
			return nil, fmt.Errorf("trigger %s: %w", tr.ID, err)
		}
		compiled, err := trigger.Compile(tr.ID, spec)
		if err != nil {
			return nil, fmt.Errorf("trigger %s: %w", tr.ID, err)
		}
		e.triggers = append(e.triggers, compiled)
		e.needsEnv = e.needsEnv || strings.TrimSpace(spec.When) != ""
	}
	return e, nil
}

func (c *endpointCache) openSecret(w store.Webhook, sealed string) ([]byte, error) {
	plain, err := c.vault.Open(sealed, []byte(w.ID))
	if err != nil {
		return nil, fmt.Errorf("webhook %s: open secret: %w", w.ID, err)
	}
	return signature.DecodeSecret(w.Source, string(plain))
}
