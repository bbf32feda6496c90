package executor

import (
	"context"
	"fmt"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
)

// TestResult reports whether an integration's connection works.
type TestResult struct {
	OK          bool    `json:"ok"`
	Probe       bool    `json:"probe,omitempty"` // required params were filled with placeholders
	Action      string  `json:"action,omitempty"`
	Status      int     `json:"status,omitempty"`
	LatencyMS   float64 `json:"latency_ms"`
	Reason      string  `json:"reason,omitempty"`
	LogID       string  `json:"log_id,omitempty"`
	Body        any     `json:"body,omitempty"`
	Environment string  `json:"environment"`
}

// Test makes a real call with the declared test action (or the first GET
// action) and reports ok, status, latency and a readable reason.
func (e *Executor) Test(ctx context.Context, c Call) (*TestResult, error) {
	if c.Environment == "" {
		c.Environment = connector.Sandbox
	}
	t, err := e.Load(ctx, c.OrgID, c.Integration, c.Environment, VersionDefault)
	if err != nil {
		return nil, err
	}
	action, ok := t.Definition.TestActionFor()
	if !ok {
		return nil, problem.BadRequest("integration %q has no GET action to test with; declare \"testAction\" naming an action that is safe to call", t.Integration.Name)
	}
	out := &TestResult{Action: action.Key, Environment: c.Environment}
	c.Source = SourceTest
	params := c.Params
	if params == nil {
		params = map[string]any{}
	}
	for i := range action.Parameters {
		prm := &action.Parameters[i]
		if _, given := params[prm.Name]; given || prm.Default != nil || !(prm.Required || prm.In == "path") {
			continue
		}
		params[prm.Name] = placeholder(prm.Type())
		out.Probe = true
	}
	c.Params = params
	res, err := e.RunAction(ctx, t, action, c)
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Status < 500 && p.Status != 409 && p.Status != 400 {
			return nil, err
		}
		out.Reason = p.Detail
		return out, nil
	}
	out.Status, out.LatencyMS, out.LogID, out.Body = res.Status, res.DurationMS, res.LogID, res.Body
	switch {
	case res.Status >= 200 && res.Status < 300:
		out.OK = true
	case out.Probe && (res.Status == 404 || res.Status == 400 || res.Status == 422):
		out.OK = true
		out.Reason = fmt.Sprintf("reached the API and it accepted the credentials; it answered HTTP %d to placeholder params (pass \"params\" to test with real values)", res.Status)
	case res.Status == 401 || res.Status == 403:
		out.Reason = fmt.Sprintf("the API refused the credentials (HTTP %d); check the %s connection's secret", res.Status, c.Environment)
	case res.Status == 404:
		out.Reason = fmt.Sprintf("the API answered 404 for %s %s; check the base URL and the endpoint", action.Method, action.Endpoint)
	default:
		out.Reason = fmt.Sprintf("the API answered HTTP %d", res.Status)
	}
	return out, nil
}

// placeholder is a harmless value of a JSON type, used to probe an API
// when the test action needs params the caller did not give.
func placeholder(typ string) any {
	switch typ {
	case "integer", "number":
		return 1
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		return map[string]any{}
	}
	return "plugboard-connection-test"
}
