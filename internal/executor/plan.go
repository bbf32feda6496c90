package executor

import (
	"context"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Planned is a call built but not sent, without credentials: what a
// person approves, and what the approval is bound to.
type Planned struct {
	Method string
	URL    string
	Params map[string]any // checked, defaults applied
}

// Plan builds the request a call of a resolved action would send, with the
// base URL of the connection it would use.
func (e *Executor) Plan(ctx context.Context, t *Target, action *connector.Action, c Call) (*Planned, error) {
	params, err := action.CheckParams(c.Params)
	if err != nil {
		return nil, paramsProblem(action, err)
	}
	def := t.Definition
	if conn, err := e.Store.ResolveConnection(ctx, t.Integration.OrgID, t.Integration.ID, c.Environment, c.UserID); err == nil && conn.BaseURL != "" {
		def = withBaseURL(def, c.Environment, conn.BaseURL)
	}
	if t.Integration.Kind == store.KindCode {
		return &Planned{Method: action.Method, URL: action.Endpoint, Params: params}, nil
	}
	prep, err := def.BuildChecked(action, c.Environment, params)
	if err != nil {
		return nil, problem.BadRequest("build request for %s: %v", action.Key, err)
	}
	return &Planned{Method: prep.Method, URL: prep.URL, Params: params}, nil
}

// PersonalConnectPath is the dashboard page where a member connects their
// own account to an integration in env.
func PersonalConnectPath(integrationID, env string) string {
	return "/integrations/" + integrationID + "/connect/" + env
}
