package approval

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/vault"
)

// secretPrefix starts a Standard Webhooks signing secret.
const secretPrefix = "whsec_"

// Webhooks posts each new pending approval to the organization's
// notification URL, signed in the Standard Webhooks format (webhook-id,
// webhook-timestamp, webhook-signature "v1,<HMAC-SHA256>"), through the
// outbound path: the SSRF guard applies, and the post is retried on
// transient failures (its webhook-id is also its idempotency key).
type Webhooks struct {
	Store    *store.Store
	Vault    *vault.Keyring
	Outbound *outbound.Client
	Logger   *slog.Logger
}

// Pending sends the notification in the background; failures are logged.
func (n *Webhooks) Pending(ctx context.Context, a store.Approval, page string) {
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := n.send(ctx, a, page); err != nil {
			n.Logger.WarnContext(ctx, "approval notification not delivered", "approval", a.ID, "error", err)
		}
	}()
}

func (n *Webhooks) send(ctx context.Context, a store.Approval, page string) error {
	set, err := n.Store.GetApprovalSettings(ctx, a.OrgID)
	if err != nil || set.NotifyURL == "" {
		return err
	}
	secret, err := n.Vault.Open(set.NotifySecret, []byte(a.OrgID))
	if err != nil {
		return fmt.Errorf("open the notification secret: %w", err)
	}
	wh, err := standardwebhooks.NewWebhook(string(secret))
	if err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{"type": "approval.pending", "timestamp": a.CreatedAt, "data": map[string]any{
		"id": a.ID, "status": a.Status, "integration": a.IntegrationName, "integration_id": a.IntegrationID, "action": a.Action,
		"environment": a.Environment, "method": a.Method, "url": a.URL, "requester": a.Requester, "via": a.Via, "team": a.Team,
		"expires_at": a.ExpiresAt, "page": page,
	}})
	if err != nil {
		return err
	}
	msgID, now := "msg_"+a.ID, time.Now()
	sig, err := wh.Sign(msgID, now, body)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("webhook-id", msgID)
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	u, _ := url.Parse(set.NotifyURL)
	res, err := n.Outbound.Do(ctx, &outbound.Request{Key: "approvals:" + u.Host, Method: http.MethodPost, URL: set.NotifyURL, Header: h, Body: body, IdempotencyKey: msgID})
	if err != nil {
		return err
	}
	if res.Status >= 300 {
		return fmt.Errorf("the notification URL answered HTTP %d", res.Status)
	}
	return nil
}

// Settings are where an organization hears of new pending approvals.
type Settings struct {
	NotifyURL string `json:"notify_url"`
	// Secret verifies the signatures; it is shown when set or rotated,
	// never again.
	Secret string `json:"secret,omitempty"`
}

// SetNotifyURL sets (or, with "", clears) the organization's notification
// URL; a new URL gets a new signing secret, returned once.
func (s *Service) SetNotifyURL(ctx context.Context, p access.Principal, raw string) (Settings, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return Settings{}, err
	}
	raw = strings.TrimSpace(raw)
	out := Settings{NotifyURL: raw}
	set := store.ApprovalSettings{NotifyURL: raw}
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return Settings{}, problem.Invalid("the notification URL is not valid", []problem.FieldError{{Field: "notify_url", Message: "use an absolute https URL without credentials, like https://hooks.example.com/plugboard"}})
		}
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		out.Secret = secretPrefix + base64.StdEncoding.EncodeToString(key)
		sealed, err := s.cfg.Vault.Seal([]byte(out.Secret), []byte(p.Org.ID))
		if err != nil {
			return Settings{}, err
		}
		set.NotifySecret = sealed
	}
	err := s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetApprovalSettings(ctx, p.Org.ID, set); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit("approval.settings", "org", p.Org.ID, map[string]any{"notify_url": raw}))
		return err
	})
	return out, err
}

// NotifyURL is the organization's notification URL ("" for none).
func (s *Service) NotifyURL(ctx context.Context, p access.Principal) (string, error) {
	if err := p.May(access.ManageOrg); err != nil {
		return "", err
	}
	set, err := s.cfg.Store.GetApprovalSettings(ctx, p.Org.ID)
	return set.NotifyURL, err
}
