package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Kinds of OAuth client.
const (
	// ClientRegistered is a client that registered itself (RFC 7591).
	ClientRegistered = "registered"
	// ClientDocument is a client whose id is the https URL of its client
	// ID metadata document.
	ClientDocument = "document"
)

// AppClient is an OAuth client that people connect to Plugboard: an MCP
// client such as a desktop assistant or an IDE.
type AppClient struct {
	ID           string
	Kind         string
	Name         string
	URI          string // its home page, when it gave one
	RedirectURIs []string
	GrantTypes   []string
	// AuthMethod is how it authenticates at the token endpoint: none (a
	// public client, PKCE alone), client_secret_basic or client_secret_post.
	AuthMethod string
	SecretHash string // SHA-256 of its client secret; "" for public clients
	CreatedAt  time.Time
	FetchedAt  time.Time // when a document client's document was last read
}

const appClientCols = `id, kind, name, client_uri, redirect_uris, grant_types, auth_method, secret_hash, created_at, fetched_at`

func scanAppClient(row rowScanner) (AppClient, error) {
	var c AppClient
	var redirects, grants string
	var created int64
	var fetched sql.NullInt64
	if err := row.Scan(&c.ID, &c.Kind, &c.Name, &c.URI, &redirects, &grants, &c.AuthMethod, &c.SecretHash, &created, &fetched); err != nil {
		return AppClient{}, mapErr(err)
	}
	if err := json.Unmarshal([]byte(redirects), &c.RedirectURIs); err != nil {
		return AppClient{}, fmt.Errorf("client %s: redirect URIs: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(grants), &c.GrantTypes); err != nil {
		return AppClient{}, fmt.Errorf("client %s: grant types: %w", c.ID, err)
	}
	c.CreatedAt, c.FetchedAt = ms(created), nullMS(fetched)
	return c, nil
}

// PutAppClient stores a client, replacing what was stored under its id:
// a document client's row follows its document.
func (s *Store) PutAppClient(ctx context.Context, c AppClient) error {
	redirects, err := json.Marshal(c.RedirectURIs)
	if err != nil {
		return err
	}
	grants, err := json.Marshal(c.GrantTypes)
	if err != nil {
		return err
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	_, err = s.w.ExecContext(ctx, s.q(`INSERT INTO app_clients (`+appClientCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, client_uri = excluded.client_uri,
		redirect_uris = excluded.redirect_uris, grant_types = excluded.grant_types, auth_method = excluded.auth_method,
		secret_hash = excluded.secret_hash, fetched_at = excluded.fetched_at`),
		c.ID, c.Kind, c.Name, c.URI, string(redirects), string(grants), c.AuthMethod, c.SecretHash, c.CreatedAt.UnixMilli(), toNullMS(c.FetchedAt))
	if err != nil {
		return fmt.Errorf("store client %s: %w", c.ID, mapErr(err))
	}
	return nil
}

// GetAppClient loads a client by its id.
func (s *Store) GetAppClient(ctx context.Context, id string) (AppClient, error) {
	return scanAppClient(s.readRow(ctx, `SELECT `+appClientCols+` FROM app_clients WHERE id = ?`, id))
}

// CountAppClientsSince counts the clients registered since t, for the cap
// on registrations.
func (s *Store) CountAppClientsSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := s.readRow(ctx, `SELECT COUNT(*) FROM app_clients WHERE kind = 'registered' AND created_at >= ?`, t.UnixMilli()).Scan(&n)
	return n, mapErr(err)
}

// ConnectedApps lists the connected apps a member approved in an
// organization, newest first, revoked ones included.
func (s *Store) ConnectedApps(ctx context.Context, orgID, userID string) ([]Agent, error) {
	return s.listAgents(ctx, `SELECT `+agentCols+` FROM agents WHERE org_id = ? AND created_by = ? AND client_id <> '' ORDER BY created_at DESC, id`, orgID, userID)
}

// ConnectedApp loads the member's connected app for a client that is not
// revoked, with its grants.
func (t *Tx) ConnectedApp(ctx context.Context, orgID, userID, clientID string) (Agent, error) {
	a, err := scanAgent(t.tx.QueryRowContext(ctx, t.s.q(`SELECT `+agentCols+` FROM agents
		WHERE org_id = ? AND created_by = ? AND client_id = ? AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`), orgID, userID, clientID))
	if err != nil {
		return Agent{}, err
	}
	a.Grants, err = queryAll(ctx, t.tx, t.s.q(`SELECT integration_id, actions, environment, run_as_user_id FROM agent_grants WHERE agent_id = ? ORDER BY position`), scanGrant, a.ID)
	return a, err
}

// TouchAgent records a connected app's use at at.
func (s *Store) TouchAgent(ctx context.Context, agentID string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE agents SET last_used_at = ? WHERE id = ?`), at.UnixMilli(), agentID)
	return affected(res, err)
}
