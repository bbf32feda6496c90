package client

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Integration is an integration as the API shows it.
type Integration struct {
	ID              string          `json:"id"`
	Slug            string          `json:"slug"`
	Name            string          `json:"name"`
	Kind            string          `json:"kind"`
	Version         int             `json:"version"`
	DeployedVersion int             `json:"deployed_version"`
	Status          string          `json:"status"`
	BaseURL         string          `json:"base_url"`
	Auth            string          `json:"auth"`
	Actions         []Action        `json:"actions"`
	Definition      json.RawMessage `json:"definition"`
	Report          *ImportReport   `json:"import_report,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`
}

// Action is one action of an integration.
type Action struct {
	Key         string          `json:"key"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Method      string          `json:"method"`
	Endpoint    string          `json:"endpoint"`
	Tool        string          `json:"tool"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ImportReport says what an OpenAPI import took and what it skipped.
type ImportReport struct {
	Operations int `json:"operations"`
	Imported   int `json:"imported"`
	Skipped    []struct {
		Operation string `json:"operation"`
		Reason    string `json:"reason"`
		Partial   bool   `json:"partial"`
	} `json:"skipped"`
}

// CreateIntegration stores a definition (JSON) as a new integration.
func (c *Client) CreateIntegration(ctx context.Context, definition json.RawMessage) (*Integration, error) {
	var out Integration
	return &out, c.Do(ctx, "POST", "/v1/integrations", definition, &out)
}

// UpdateIntegration stores a new draft version of an integration.
func (c *Client) UpdateIntegration(ctx context.Context, id string, definition json.RawMessage) (*Integration, error) {
	var out Integration
	return &out, c.Do(ctx, "PUT", path("/v1/integrations/%s", id), definition, &out)
}

// ListIntegrations lists the organization's integrations.
func (c *Client) ListIntegrations(ctx context.Context) ([]Integration, error) {
	var out struct {
		Integrations []Integration `json:"integrations"`
	}
	return out.Integrations, c.Do(ctx, "GET", "/v1/integrations", nil, &out)
}

// GetIntegration loads an integration by id or slug.
func (c *Client) GetIntegration(ctx context.Context, id string) (*Integration, error) {
	var out Integration
	return &out, c.Do(ctx, "GET", path("/v1/integrations/%s", id), nil, &out)
}

// DeleteIntegration deletes an integration.
func (c *Client) DeleteIntegration(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", path("/v1/integrations/%s", id), nil, nil)
}

// Deploy publishes the latest version of an integration.
func (c *Client) Deploy(ctx context.Context, id string) (*Integration, error) {
	var out Integration
	return &out, c.Do(ctx, "POST", path("/v1/integrations/%s/deploy", id), nil, &out)
}

// ImportInput imports an OpenAPI or Swagger document.
type ImportInput struct {
	OpenAPIURL   string          `json:"openapi_url,omitempty"`
	OpenAPI      json.RawMessage `json:"openapi,omitempty"`
	Name         string          `json:"name,omitempty"`
	Auth         json.RawMessage `json:"auth,omitempty"`
	ServerURL    string          `json:"server_url,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	PathPrefixes []string        `json:"path_prefixes,omitempty"`
	ServerIndex  int             `json:"server_index,omitempty"`
	Operations   []string        `json:"operations,omitempty"`
	MaxActions   int             `json:"max_actions,omitempty"`
}

// Import creates an integration from an OpenAPI document.
func (c *Client) Import(ctx context.Context, in ImportInput) (*Integration, error) {
	var out Integration
	return &out, c.Do(ctx, "POST", "/v1/integrations/import", in, &out)
}

// ConnectionInput adds credentials for one environment.
type ConnectionInput struct {
	Environment string            `json:"environment"`
	Credentials map[string]string `json:"credentials"`
	Name        string            `json:"name,omitempty"`
	BaseURL     string            `json:"base_url,omitempty"`
	Personal    bool              `json:"personal,omitempty"`
}

// Connection is a stored connection (never its secrets).
type Connection struct {
	ID           string `json:"id"`
	Environment  string `json:"environment"`
	Status       string `json:"status"`
	StatusReason string `json:"status_reason"`
	UserID       string `json:"user_id"`
	AuthorizeURL string `json:"authorize_url"`
	// UpdatedAt changes whenever the connection's credentials or status do.
	UpdatedAt time.Time `json:"updated_at"`
}

// AddConnection stores credentials for an integration environment.
func (c *Client) AddConnection(ctx context.Context, integrationID string, in ConnectionInput) (*Connection, error) {
	var out Connection
	return &out, c.Do(ctx, "POST", path("/v1/integrations/%s/connections", integrationID), in, &out)
}

// ListConnections lists the connections the caller can see.
func (c *Client) ListConnections(ctx context.Context, integrationID string) ([]Connection, error) {
	var out struct {
		Connections []Connection `json:"connections"`
	}
	return out.Connections, c.Do(ctx, "GET", path("/v1/integrations/%s/connections", integrationID), nil, &out)
}

// RunInput runs an action.
type RunInput struct {
	Environment string         `json:"environment,omitempty"`
	Params      map[string]any `json:"params"`
	Version     int            `json:"version,omitempty"`
	// Select is a jq expression applied to a successful JSON answer;
	// MaxBytes is the most of it returned inline (the rest is stored, see
	// ReadResult).
	Select   string `json:"select,omitempty"`
	MaxBytes int    `json:"max_bytes,omitempty"`
	// For an action that declares its pagination: gather up to MaxPages
	// pages or exactly MaxItems items into one list, continuing from
	// Cursor (an earlier result's Pagination.NextCursor).
	MaxPages int    `json:"max_pages,omitempty"`
	MaxItems int    `json:"max_items,omitempty"`
	Cursor   string `json:"cursor,omitempty"`
}

// RunResult is the upstream answer to an action.
type RunResult struct {
	Status     int               `json:"status"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
	DurationMS float64           `json:"duration_ms"`
	Attempts   int               `json:"attempts"`
	LogID      string            `json:"log_id"`
	// Stored is set when the body was over the budget: Body is then its
	// start, and ReadResult reads the rest.
	Stored *StoredResult `json:"stored,omitempty"`
	// Pagination is set for an action that pages.
	Pagination *Pagination `json:"pagination,omitempty"`
	// SelectError says why the selection could not be applied to Body.
	SelectError string `json:"select_error,omitempty"`
}

// StoredResult describes a result kept because it was over budget.
type StoredResult struct {
	ID        string    `json:"id"`
	Bytes     int       `json:"bytes"`
	Items     int       `json:"items,omitempty"`
	Shown     int       `json:"shown"`
	Budget    int       `json:"budget"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Pagination is what a paginated call gathered, and where to continue.
type Pagination struct {
	Pages      int    `json:"pages"`
	Items      int    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ResultPart is part of a stored result: Bytes of its JSON text from
// Offset, or Items of a list from Start. Next is where the following part
// starts, -1 at the end.
type ResultPart struct {
	Bytes  string          `json:"bytes,omitempty"`
	Items  json.RawMessage `json:"items,omitempty"`
	Offset int             `json:"offset,omitempty"`
	Start  int             `json:"start,omitempty"`
	End    int             `json:"end"`
	Next   int             `json:"next"`
	Total  int             `json:"total"`
}

// ReadResult reads part of a result stored for the caller; query takes
// offset and length (bytes) or start and count (items).
func (c *Client) ReadResult(ctx context.Context, id string, query url.Values) (*ResultPart, error) {
	var out ResultPart
	return &out, c.Do(ctx, "GET", path("/v1/results/%s", id)+"?"+query.Encode(), nil, &out)
}

// Run runs an action (by key or name) of an integration.
func (c *Client) Run(ctx context.Context, integrationID, action string, in RunInput) (*RunResult, error) {
	var out RunResult
	return &out, c.Do(ctx, "POST", path("/v1/integrations/%s/actions/%s/run", integrationID, action), in, &out)
}

// TestResult reports a connection test.
type TestResult struct {
	OK          bool    `json:"ok"`
	Probe       bool    `json:"probe"`
	Action      string  `json:"action"`
	Status      int     `json:"status"`
	LatencyMS   float64 `json:"latency_ms"`
	Reason      string  `json:"reason"`
	Environment string  `json:"environment"`
}

// Test makes a real call to check an integration's connection.
func (c *Client) Test(ctx context.Context, integrationID, environment string) (*TestResult, error) {
	var out TestResult
	return &out, c.Do(ctx, "POST", path("/v1/integrations/%s/test", integrationID), map[string]string{"environment": environment}, &out)
}

// CallLog is one recorded call.
type CallLog struct {
	ID              string    `json:"id"`
	IntegrationID   string    `json:"integration_id"`
	Action          string    `json:"action"`
	Environment     string    `json:"environment"`
	Source          string    `json:"source"`
	Method          string    `json:"method"`
	URL             string    `json:"url"`
	Status          int       `json:"status"`
	DurationMS      float64   `json:"duration_ms"`
	Error           string    `json:"error"`
	RequestHeaders  string    `json:"request_headers"`
	RequestBody     string    `json:"request_body"`
	ResponseHeaders string    `json:"response_headers"`
	ResponseBody    string    `json:"response_body"`
	CreatedAt       time.Time `json:"created_at"`
}

// Logs lists call logs; filter keys are integration, action, status,
// environment, source, since, until, cursor, limit.
func (c *Client) Logs(ctx context.Context, filter url.Values) ([]CallLog, error) {
	var out struct {
		Logs []CallLog `json:"logs"`
	}
	return out.Logs, c.Do(ctx, "GET", "/v1/logs?"+filter.Encode(), nil, &out)
}

// Log loads one call log with its (redacted) bodies.
func (c *Client) Log(ctx context.Context, id string) (*CallLog, error) {
	var out CallLog
	return &out, c.Do(ctx, "GET", path("/v1/logs/%s", id), nil, &out)
}
