package connection

import (
	"context"
	"errors"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/naming"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Create adds a connection to an integration. An OAuth 2.0 authorization
// code connection without tokens starts pending, with the link that
// starts its flow; every other connection must carry the credentials its
// auth method needs. A second connection for the same environment and
// owner is refused: change that one instead.
func (s *Service) Create(ctx context.Context, p access.Principal, ref string, in Input) (*Created, error) {
	t, err := s.target(ctx, p, access.Connect, ref)
	if err != nil {
		return nil, err
	}
	if in.Environment == "" {
		in.Environment = connector.Sandbox
	}
	if in.Personal && p.User.ID == "" {
		return nil, problem.Forbidden("only a member can own a personal connection")
	}
	if err := check(t.Definition.Auth, &in.Environment, &in.Credentials, &in.BaseURL); err != nil {
		return nil, err
	}
	if in.Name, err = naming.Field("name", naming.Optional(naming.Name), in.Name); err != nil {
		return nil, err
	}
	c := store.Connection{
		ID: store.NewConnectionID(), OrgID: p.Org.ID, IntegrationID: t.Integration.ID, Environment: in.Environment,
		Name: in.Name, BaseURL: in.BaseURL, Status: status(t.Definition.Auth, in.Credentials),
	}
	if in.Personal {
		c.UserID = p.User.ID
	}
	if c.Secret, err = s.Auth.Seal(c.ID, in.Credentials); err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.CreateConnection(ctx, c); err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, p.Audit(ActionCreate, "connection", c.ID, map[string]any{
			"integration": t.Integration.ID, "environment": c.Environment, "personal": c.UserID != "",
		}))
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		owner := "shared"
		if in.Personal {
			owner = "personal"
		}
		return nil, problem.Conflict("integration %q already has a %s %s connection; replace its credentials or delete it first", t.Integration.Name, owner, in.Environment)
	}
	if err != nil {
		return nil, err
	}
	out := &Created{Connection: c}
	if c.Status == store.ConnPending {
		out.AuthorizeURL = s.PublicURL + "/v1/integrations/" + t.Integration.ID + "/connections/" + c.ID + "/authorize"
	}
	return out, nil
}

// Update changes a connection's credentials, name or base URL with the
// same checks as Create. New OAuth 2.0 client credentials without tokens
// make the connection pending until it is authorized again.
func (s *Service) Update(ctx context.Context, p access.Principal, ref, cid string, ch Changes) (store.Connection, error) {
	t, c, err := s.visible(ctx, p, access.Connect, ref, cid)
	if err != nil {
		return store.Connection{}, err
	}
	if err := check(t.Definition.Auth, nil, ch.Credentials, ch.BaseURL); err != nil {
		return store.Connection{}, err
	}
	changed := []string{}
	if ch.Credentials != nil {
		if c.Secret, err = s.Auth.Seal(c.ID, *ch.Credentials); err != nil {
			return store.Connection{}, err
		}
		c.TokenExpiry, c.Status, c.StatusReason = ch.Credentials.Expiry, status(t.Definition.Auth, *ch.Credentials), ""
		changed = append(changed, "credentials")
	}
	if ch.Name != nil {
		if c.Name, err = naming.Field("name", naming.Optional(naming.Name), *ch.Name); err != nil {
			return store.Connection{}, err
		}
		changed = append(changed, "name")
	}
	if ch.BaseURL != nil {
		c.BaseURL = *ch.BaseURL
		changed = append(changed, "base_url")
	}
	if len(changed) == 0 {
		return store.Connection{}, problem.BadRequest("nothing to change: send credentials, name or base_url")
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionUpdate, "connection", c.ID, map[string]any{"integration": t.Integration.ID, "changed": changed}))
		return err
	})
	if err != nil {
		return store.Connection{}, err
	}
	return s.Store.GetConnectionByID(ctx, c.ID)
}

// Delete removes a connection. OAuth 2.0 tokens are revoked at the
// provider first (RFC 7009), when it offers revocation.
func (s *Service) Delete(ctx context.Context, p access.Principal, ref, cid string) error {
	t, c, err := s.visible(ctx, p, access.Connect, ref, cid)
	if err != nil {
		return err
	}
	s.Auth.Revoke(ctx, c)
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteConnection(ctx, p.Org.ID, c.ID); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionDelete, "connection", c.ID, map[string]any{"integration": t.Integration.ID, "environment": c.Environment}))
		return err
	})
}

// Authorize starts the OAuth 2.0 authorization code flow of a connection
// for p and returns the provider's URL to send p's browser to.
func (s *Service) Authorize(ctx context.Context, p access.Principal, ref, cid string) (string, error) {
	t, c, err := s.visible(ctx, p, access.Connect, ref, cid)
	if err != nil {
		return "", err
	}
	if p.User.ID == "" {
		return "", problem.Forbidden("only a member can authorize a connection")
	}
	return s.Auth.StartAuthorization(ctx, c, t.Definition.Auth, p.User.ID)
}

// Complete finishes an OAuth 2.0 flow from the provider's callback: the
// single-use state proves which connection and member it belongs to. The
// tokens are saved, and the change audited as the member who started the
// flow.
func (s *Service) Complete(ctx context.Context, cb auth.Callback, ip string) (*auth.Authorized, error) {
	done, err := s.Auth.CompleteAuthorization(ctx, cb)
	if err != nil {
		return nil, err
	}
	p := access.FromKey(done.By, ip)
	p.Via = access.Dashboard
	c := done.Connection
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.UpdateConnection(ctx, c); err != nil {
			return err
		}
		_, err := tx.AppendAudit(ctx, p.Audit(ActionAuthorize, "connection", c.ID, map[string]any{"integration": c.IntegrationID, "environment": c.Environment}))
		return err
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}
