// Package executor runs integration actions: it loads the definition,
// checks the params, picks the caller's connection, injects credentials,
// sends the request through the outbound path and records the call. The
// REST API, MCP tools, webhook triggers and SDK workers all call actions
// through it, so auth, limits, logs and metrics apply the same everywhere.
package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/auth"
	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Config wires an Executor.
type Config struct {
	Store    *store.Store
	Auth     *auth.Provider
	Outbound *outbound.Client
	Recorder *calllog.Recorder
	Metrics  *metrics.Metrics
	Logger   *slog.Logger

	// Workers runs the actions of code-defined integrations (kind "code")
	// on their connected SDK workers; the server sets it.
	Workers Workers

	// Budget keeps the rate-limit windows APIs announce, per connection;
	// nil sends every call. BudgetWait bounds how long a call waits for a
	// spent window to reset (DefaultBudgetWait when zero).
	Budget     limit.Budget
	BudgetWait time.Duration

	// ResultRetention is how long a result over its caller's budget stays
	// readable. Defaults to DefaultResultRetention.
	ResultRetention time.Duration
}

// Workers hands an action of a code-defined integration to a worker and
// waits for its result. params are checked, with defaults applied.
type Workers interface {
	Invoke(ctx context.Context, t *Target, action *connector.Action, c Call, params map[string]any) (*Result, error)
}

// Executor runs actions. It is safe for concurrent use.
type Executor struct {
	Config
	defs sync.Map // defKey → *connector.Definition; versions never change
}

type defKey struct {
	integrationID string
	version       int
}

// New returns an Executor.
func New(cfg Config) *Executor { return &Executor{Config: cfg} }

// Version selectors for Call.Version.
const (
	// VersionDefault runs the latest draft in sandbox and the deployed
	// version in production.
	VersionDefault = 0
	// VersionDeployed always runs the deployed version (agents, triggers).
	VersionDeployed = -1
	// VersionLatest always runs the latest draft.
	VersionLatest = -2
)

// Source says which surface a call came through; the call log, metrics
// and traces carry it.
type Source string

// The sources of calls.
const (
	SourceAPI     Source = "api"     // POST /v1/integrations/{id}/actions/{action}/run
	SourceMCP     Source = "mcp"     // an agent's tools/call
	SourceTrigger Source = "trigger" // a webhook trigger's run
	SourceTest    Source = "test"    // a connection test or the dashboard's test step
	SourceProxy   Source = "proxy"   // the raw proxy
	SourceWorker  Source = "worker"  // an SDK worker's HTTP call
)

// Call is one action invocation.
type Call struct {
	OrgID          string
	UserID         string // whose connection to prefer; "" = shared only
	Integration    string // id or slug
	Action         string // key or name
	Environment    string // sandbox (default) or production
	Params         map[string]any
	Version        int // a version number or a Version* selector
	Source         Source
	Actor          string // key, agent or webhook id, for the log
	IdempotencyKey string
	Shape          Shape // selection and budget of a successful answer
	Pages          Pages // how many pages of a paginated list to gather
}

// Result is the upstream answer.
type Result struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       any               `json:"body"`
	DurationMS float64           `json:"duration_ms"`
	Attempts   int               `json:"attempts"`
	LogID      string            `json:"log_id"`
	// Request is what was sent, for the dashboard's test step (calls made
	// with SourceTest). Callers of the API find it in the call log entry
	// (log_id), so answers leave it out: it was two fifths of every
	// answer's bytes.
	Request *SentRequest `json:"-"`
	// RateLimit is what is left of the API's announced rate limit for
	// the connection after this call, when the API announces one.
	RateLimit *limit.Window `json:"rate_limit,omitempty"`
	// Stored names the whole body when it was over the caller's budget;
	// Body is then the part that fits.
	Stored *fit.Stored `json:"stored,omitempty"`
	// SelectError says why the response selection could not be applied;
	// Body is then the whole answer.
	SelectError string `json:"select_error,omitempty"`
	// Pagination is set for an action that pages: how much was gathered
	// and the cursor to continue from.
	Pagination *PageInfo `json:"pagination,omitempty"`

	raw *outbound.Response
	url string // the URL called, as the call log shows it
}

// SentRequest is what was sent, secrets masked: shown by the dashboard's
// test step.
type SentRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// Target is a loaded integration ready to run.
type Target struct {
	Integration store.Integration
	Version     int
	Definition  *connector.Definition
}

// Load resolves an integration and the version a call should run.
func (e *Executor) Load(ctx context.Context, orgID, integration, env string, version int) (*Target, error) {
	in, err := e.Store.GetIntegration(ctx, orgID, integration)
	if errors.Is(err, store.ErrNotFound) {
		return nil, problem.NotFound("integration %q not found in this organization", integration)
	}
	if err != nil {
		return nil, err
	}
	v := version
	switch {
	case version == VersionDeployed || (version == VersionDefault && env == connector.Production):
		if in.DeployedVersion == 0 {
			return nil, problem.Conflict("integration %q has no deployed version; deploy it first (POST /v1/integrations/%s/deploy)", in.Name, in.ID)
		}
		v = in.DeployedVersion
	case version == VersionDefault || version == VersionLatest:
		v = in.LatestVersion
	case version < 1 || version > in.LatestVersion:
		return nil, problem.BadRequest("integration %q has versions 1 to %d; version %d does not exist", in.Name, in.LatestVersion, version)
	}
	def, err := e.definition(ctx, in.ID, v)
	if err != nil {
		return nil, err
	}
	return &Target{Integration: in, Version: v, Definition: def}, nil
}

func (e *Executor) definition(ctx context.Context, integrationID string, version int) (*connector.Definition, error) {
	k := defKey{integrationID, version}
	if d, ok := e.defs.Load(k); ok {
		return d.(*connector.Definition), nil
	}
	ver, err := e.Store.GetVersion(ctx, integrationID, version)
	if err != nil {
		return nil, fmt.Errorf("load integration %s v%d: %w", integrationID, version, err)
	}
	def, err := connector.Parse(ver.Definition)
	if err != nil {
		return nil, fmt.Errorf("stored definition of %s v%d no longer parses: %w", integrationID, version, err)
	}
	e.defs.Store(k, def)
	return def, nil
}

// Run executes one action call.
func (e *Executor) Run(ctx context.Context, c Call) (*Result, error) {
	t, action, err := e.Resolve(ctx, &c)
	if err != nil {
		return nil, err
	}
	return e.RunAction(ctx, t, action, c)
}

// Resolve loads the version and finds the action c calls, setting c's
// environment to sandbox when it names none.
func (e *Executor) Resolve(ctx context.Context, c *Call) (*Target, *connector.Action, error) {
	if c.Environment == "" {
		c.Environment = connector.Sandbox
	}
	if c.Environment != connector.Sandbox && c.Environment != connector.Production {
		return nil, nil, problem.BadRequest("environment must be %q or %q, got %q", connector.Sandbox, connector.Production, c.Environment)
	}
	t, err := e.Load(ctx, c.OrgID, c.Integration, c.Environment, c.Version)
	if err != nil {
		return nil, nil, err
	}
	action, ok := t.Definition.Action(c.Action)
	if !ok {
		return nil, nil, problem.NotFound("integration %q has no action %q; its actions are: %s", t.Integration.Name, c.Action, actionKeys(t.Definition))
	}
	return t, action, nil
}

// RunAction runs a resolved action of a loaded target.
func (e *Executor) RunAction(ctx context.Context, t *Target, action *connector.Action, c Call) (*Result, error) {
	params, err := action.CheckParams(c.Params)
	if err != nil {
		return nil, paramsProblem(action, err)
	}
	if action.Pagination == nil && c.Pages.combined() {
		return nil, problem.BadRequest("action %q does not declare how its API pages; max_pages, max_items and cursor apply only to actions with a pagination", action.Key)
	}
	conn, creds, err := e.connection(ctx, t, c.Environment, c.UserID)
	if err != nil {
		return nil, err
	}
	// Code-defined integrations (Go SDK): the action runs on a worker,
	// which sends its HTTP calls back through ProxyRaw. The invocation
	// carries the owner of the connection resolved here, so that those
	// calls use exactly this connection.
	if t.Integration.Kind == store.KindCode {
		if e.Workers == nil {
			return nil, problem.New(http.StatusServiceUnavailable, "integration %q is defined in code, and this server does not run SDK workers", t.Integration.Name)
		}
		c.UserID = conn.UserID
		res, err := e.Workers.Invoke(ctx, t, action, c, params)
		if err != nil {
			return nil, err
		}
		return res, e.shape(ctx, t, action, c.Shape, res)
	}
	env := c.Environment
	def := t.Definition
	if conn.BaseURL != "" {
		def = withBaseURL(def, env, conn.BaseURL)
	}
	prep, err := def.BuildChecked(action, env, params)
	if err != nil {
		return nil, problem.BadRequest("build request for %s: %v", action.Key, err)
	}
	var res *Result
	if action.Pagination != nil {
		c.Environment = env
		pg := &pager{e: e, t: t, def: def, a: action, pg: action.Pagination, conn: conn, creds: creds, c: c, params: params, first: prep}
		res, err = pg.run(ctx)
	} else {
		res, err = e.send(ctx, t, conn, creds, sendSpec{
			action: action.Key, env: env, source: c.Source, actor: c.Actor,
			method: prep.Method, url: prep.URL, header: prep.Header, body: prep.Body,
			idempotencyKey: c.IdempotencyKey,
		})
	}
	if err != nil {
		return nil, err
	}
	return res, e.shape(ctx, t, action, c.Shape, res)
}

func actionKeys(d *connector.Definition) string {
	s := ""
	for i, a := range d.Actions {
		if i > 0 {
			s += ", "
		}
		s += a.Key
	}
	return s
}

func paramsProblem(a *connector.Action, err error) error {
	var ve *connector.ValidationError
	if errors.As(err, &ve) {
		fields := make([]problem.FieldError, 0, len(ve.Errors))
		for _, fe := range ve.Errors {
			fields = append(fields, problem.FieldError{Field: fe.Field, Message: fe.Message})
		}
		return problem.Invalid(fmt.Sprintf("the params of action %q are not valid: %s", a.Key, ve.Error()), fields)
	}
	return problem.BadRequest("params of action %q: %v", a.Key, err)
}

// connection picks the caller's connection and opens its credentials.
func (e *Executor) connection(ctx context.Context, t *Target, env, userID string) (store.Connection, connector.Credentials, error) {
	if t.Definition.Auth.Type == connector.AuthNone || t.Definition.Auth.Type == "" {
		conn, err := e.Store.ResolveConnection(ctx, t.Integration.OrgID, t.Integration.ID, env, userID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return store.Connection{}, connector.Credentials{}, err
		}
		return conn, connector.Credentials{}, nil
	}
	conn, err := e.Store.ResolveConnection(ctx, t.Integration.OrgID, t.Integration.ID, env, userID)
	if err == nil && t.Definition.PersonalConnections && userID != "" && conn.UserID != userID {
		// The shared connection only holds the OAuth client members'
		// own connections start from.
		return conn, connector.Credentials{}, problem.Conflict("integration %q needs your own %s connection; connect it at %s",
			t.Integration.Name, env, PersonalConnectPath(t.Integration.ID, env))
	}
	if errors.Is(err, store.ErrNotFound) {
		return conn, connector.Credentials{}, problem.Conflict("integration %q has no %s connection; add credentials with POST /v1/integrations/%s/connections {\"environment\": %q, \"credentials\": {…}}",
			t.Integration.Name, env, t.Integration.ID, env)
	}
	if err != nil {
		return conn, connector.Credentials{}, err
	}
	switch conn.Status {
	case store.ConnNeedsReauth:
		return conn, connector.Credentials{}, problem.Conflict("the %s connection of %q needs to be reconnected (%s); %s", env, t.Integration.Name, conn.StatusReason, auth.ReconnectHint(conn, t.Definition.Auth.Grant))
	case store.ConnPending:
		return conn, connector.Credentials{}, problem.Conflict("the %s connection of %q is not authorized yet; finish the OAuth flow at GET /v1/integrations/%s/connections/%s/authorize", env, t.Integration.Name, t.Integration.ID, conn.ID)
	}
	creds, err := e.Auth.Credentials(ctx, conn, t.Definition.Auth)
	if err != nil {
		return conn, connector.Credentials{}, err
	}
	return conn, creds, nil
}

func withBaseURL(d *connector.Definition, env, base string) *connector.Definition {
	cp := *d
	cp.Environments = map[string]connector.Environment{}
	for k, v := range d.Environments {
		cp.Environments[k] = v
	}
	cp.Environments[env] = connector.Environment{BaseURL: base}
	return &cp
}

// decodeBody returns JSON bodies as raw JSON and anything else as text.
func decodeBody(h http.Header, body []byte) any {
	if len(body) == 0 {
		return nil
	}
	if json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}

func firstValues(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
