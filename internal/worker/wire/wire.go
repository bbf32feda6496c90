// Package wire holds the JSON messages that SDK workers and the server
// exchange under /v1/workers. Both sides import it, so a field cannot be
// renamed on one side only.
//
// The exchange is plain HTTP with JSON bodies: a worker registers, then
// long-polls for invocations, posts a result per invocation, heartbeats
// to keep its leases, and sends the action's own HTTP calls through the
// server, which adds the connection's credentials.
package wire

import "encoding/json"

// Paths, relative to the server's base URL.
const (
	PathRegister  = "/v1/workers/register"
	PathPoll      = "/v1/workers/poll"
	PathHeartbeat = "/v1/workers/heartbeat"
	// PathWorker is followed by the worker id (DELETE: deregister).
	PathWorker = "/v1/workers/"
	// PathInvocation is followed by "{id}/result" or "{id}/http".
	PathInvocation = "/v1/workers/invocations/"
)

// MaxPollWaitMS caps how long a poll is held open without work.
const MaxPollWaitMS = 25_000

// Auth mirrors the connector's auth block: how the server authenticates
// the integration's HTTP calls. It never carries a secret.
type Auth struct {
	Type         string            `json:"type"`
	Location     string            `json:"location,omitempty"`
	Key          string            `json:"key,omitempty"`
	Prefix       string            `json:"prefix,omitempty"`
	Grant        string            `json:"grant,omitempty"`
	AuthorizeURL string            `json:"authorize_url,omitempty"`
	TokenURL     string            `json:"token_url,omitempty"`
	RevokeURL    string            `json:"revoke_url,omitempty"`
	Scopes       []string          `json:"scopes,omitempty"`
	PKCE         *bool             `json:"pkce,omitempty"`
	TokenAuth    string            `json:"token_auth,omitempty"`
	ExtraParams  map[string]string `json:"extra_params,omitempty"`
}

// Action is one action as a worker declares it.
type Action struct {
	Key          string          `json:"key"`
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	OutputSchema json.RawMessage `json:"output_schema,omitempty"`
}

// Integration is the definition a worker registers.
type Integration struct {
	Name           string   `json:"name"`
	Description    string   `json:"description,omitempty"`
	BaseURL        string   `json:"base_url"`
	Auth           Auth     `json:"auth"`
	TimeoutSeconds int      `json:"timeout_seconds,omitempty"`
	Actions        []Action `json:"actions"`
}

// RegisterRequest is the body of POST PathRegister.
type RegisterRequest struct {
	Worker      WorkerInfo  `json:"worker"`
	Integration Integration `json:"integration"`
}

// WorkerInfo describes the worker process, for the dashboard.
type WorkerInfo struct {
	Name        string `json:"name"`
	SDK         string `json:"sdk"`
	Concurrency int    `json:"concurrency"`
}

// RegisterResponse answers a registration.
type RegisterResponse struct {
	WorkerID      string `json:"worker_id"`
	IntegrationID string `json:"integration_id"`
	Slug          string `json:"slug"`
	Version       int    `json:"version"`
	// Changed is true when this registration created the integration or a
	// new version of it.
	Changed     bool `json:"changed"`
	LeaseMS     int  `json:"lease_ms"`
	HeartbeatMS int  `json:"heartbeat_ms"`
}

// Invocation is one action call handed to a worker.
type Invocation struct {
	ID             string          `json:"id"`
	Action         string          `json:"action"`
	Version        int             `json:"version"`
	Environment    string          `json:"environment"`
	Input          json.RawMessage `json:"input"`
	IdempotencyKey string          `json:"idempotency_key"`
	Attempt        int             `json:"attempt"`
	// DeadlineMS is the absolute deadline, unix milliseconds.
	DeadlineMS int64 `json:"deadline_ms"`
	// Trace carries the W3C trace context (traceparent, tracestate).
	Trace map[string]string `json:"trace,omitempty"`
}

// PollResponse answers GET PathPoll?worker=…&max=…&wait_ms=….
type PollResponse struct {
	Invocations []Invocation `json:"invocations"`
}

// Heartbeat is the body of POST PathHeartbeat.
type Heartbeat struct {
	Worker  string   `json:"worker"`
	Running []string `json:"running"`
}

// HeartbeatResponse lists the running invocations the worker should stop:
// cancelled by the caller, past their deadline or finished elsewhere.
type HeartbeatResponse struct {
	Cancel []string `json:"cancel"`
}

// Deregister is the optional body of DELETE PathWorker{id}: the
// invocations still running, which the server keeps leased; any other
// invocation leased to the worker goes back to the queue at once.
type Deregister struct {
	Running []string `json:"running"`
}

// Result is the body of POST PathInvocation{id}/result: Output, or Error
// when the action failed.
type Result struct {
	Worker string          `json:"worker"`
	Output json.RawMessage `json:"output,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Error is an action's failure as the caller will see it.
type Error struct {
	Message string `json:"message"`
	// Status is an HTTP status the action chose (4xx for bad input);
	// 0 means 502.
	Status int `json:"status,omitempty"`
}

// HTTPRequest is the body of POST PathInvocation{id}/http: a request the
// server sends to the integration's API with credentials added. URL is
// absolute under the base URL, or relative to it.
type HTTPRequest struct {
	Worker string              `json:"worker"`
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Header map[string][]string `json:"header,omitempty"`
	Body   []byte              `json:"body,omitempty"`
}

// HTTPResponse is the API's answer, relayed as is.
type HTTPResponse struct {
	Status int                 `json:"status"`
	Header map[string][]string `json:"header,omitempty"`
	Body   []byte              `json:"body,omitempty"`
}
