package connection

import (
	"context"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// ConnectPersonal starts p's own OAuth 2.0 connection to an integration
// whose members each need one (personal_connections), in env, and
// returns the provider's URL to send p's browser to. p's pending or
// lapsed connection is authorized again; without one, a new one starts
// from the OAuth client of the organization's shared connection, so a
// member needs no client credentials of their own.
func (s *Service) ConnectPersonal(ctx context.Context, p access.Principal, ref, env string) (string, error) {
	t, err := s.target(ctx, p, access.Connect, ref)
	if err != nil {
		return "", err
	}
	if p.User.ID == "" {
		return "", problem.Forbidden("only a member can own a personal connection")
	}
	if env != connector.Sandbox && env != connector.Production {
		return "", problem.BadRequest("environment must be %q or %q, got %q", connector.Sandbox, connector.Production, env)
	}
	if !t.Definition.PersonalConnections {
		return "", problem.Conflict("integration %q uses the organization's shared connection; members need no connection of their own", t.Integration.Name)
	}
	list, err := s.Store.ListConnections(ctx, p.Org.ID, t.Integration.ID, p.User.ID)
	if err != nil {
		return "", err
	}
	var own, shared *store.Connection
	for i := range list {
		switch c := &list[i]; {
		case c.Environment != env:
		case c.UserID == p.User.ID:
			own = c
		case c.UserID == "":
			shared = c
		}
	}
	if own == nil {
		if shared == nil {
			return "", problem.Conflict("integration %q has no shared %s connection holding its OAuth client; an admin must add one (client_id and client_secret) before members can connect", t.Integration.Name, env)
		}
		creds, err := s.Auth.Open(*shared)
		if err != nil {
			return "", err
		}
		made, err := s.Create(ctx, p, t.Integration.ID, Input{Environment: env, Personal: true,
			Credentials: connector.Credentials{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret}})
		if err != nil {
			return "", err
		}
		own = &made.Connection
	}
	return s.Auth.StartAuthorization(ctx, *own, t.Definition.Auth, p.User.ID)
}
