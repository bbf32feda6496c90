package web

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// testInput is one input of the form generated from an action's input
// schema.
type testInput struct {
	Name, Type, In, Description, Value, Error string
	Required                                  bool
	Enum                                      []string
}

// testResult is what step 3 shows after a run.
type testResult struct {
	Request  *executor.SentRequest
	Headers  []header
	Status   int
	Latency  float64
	Attempts int
	RespHdrs []header
	Body     string
	LogID    string
	Failure  string
}

type header struct{ Name, Value string }

func testInputs(a *connector.Action, values map[string]string, errs map[string]string) []testInput {
	out := make([]testInput, 0, len(a.Parameters))
	for _, p := range a.Parameters {
		in := testInput{Name: p.Name, Type: p.Type(), In: p.In, Description: p.Description, Required: p.Required || p.In == connector.InPath, Value: values[p.Name], Error: errs["params."+p.Name]}
		if enum, ok := p.Schema["enum"].([]any); ok {
			for _, e := range enum {
				in.Enum = append(in.Enum, fmt.Sprint(e))
			}
		}
		if in.Value == "" && p.Default != nil && values == nil {
			in.Value = fmt.Sprint(p.Default)
		}
		out = append(out, in)
	}
	return out
}

func (wb *Web) testStep(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	a := pickAction(t, r.URL.Query().Get("action"))
	env := envOr(r.URL.Query().Get("environment"))
	wb.renderTest(w, r, v, http.StatusOK, t, a, env, nil, nil, nil)
	return nil
}

func pickAction(t *integration.Target, key string) *connector.Action {
	if a, ok := t.Definition.Action(key); ok && key != "" {
		return a
	}
	return &t.Definition.Actions[0]
}

func envOr(env string) string {
	if env == connector.Production {
		return env
	}
	return connector.Sandbox
}

func (wb *Web) renderTest(w http.ResponseWriter, r *http.Request, v *visit, status int, t *integration.Target, a *connector.Action, env string, values, errs map[string]string, res *testResult) {
	wb.render(w, r, v, status, "test", view{
		Title: "Test · " + t.Integration.Name, Nav: "integrations", Errors: errs,
		Data: integrationData(t, "test", map[string]any{
			"Action": a, "Env": env, "Inputs": testInputs(a, values, errs), "Result": res,
			"CanRun": v.may(access.Run), "Tool": connector.ToolName(t.Integration.Slug, a.Key),
			"NoAuth": t.Definition.Auth.Type == connector.AuthNone, "Connections": wb.envConnections(r, v, t, env),
		}),
	})
}

// envConnections are the connections of env that v may use: the test step
// says which one a run uses, or that one is missing.
func (wb *Web) envConnections(r *http.Request, v *visit, t *integration.Target, env string) []store.Connection {
	all, err := wb.Connections.List(r.Context(), v.p, t.Integration.ID)
	if err != nil {
		return nil
	}
	var out []store.Connection
	for _, c := range all {
		if c.Environment == env {
			out = append(out, c)
		}
	}
	return out
}

func (wb *Web) testRun(w http.ResponseWriter, r *http.Request, v *visit) error {
	t, err := wb.loadIntegration(r, v, access.Read)
	if err != nil {
		return err
	}
	a := pickAction(t, r.PostFormValue("action"))
	env := envOr(r.PostFormValue("environment"))
	values := map[string]string{}
	for _, p := range a.Parameters {
		if val, ok := r.PostForm["param."+p.Name]; ok && len(val) > 0 {
			values[p.Name] = val[0]
		}
	}
	params, err := connector.CoerceStrings(a, values)
	if err != nil {
		errs := map[string]string{"": err.Error()}
		var ve *connector.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				errs[fe.Field] = fe.Message
			}
		}
		wb.renderTest(w, r, v, http.StatusUnprocessableEntity, t, a, env, values, errs, nil)
		return nil
	}
	for k, s := range values {
		if s == "" {
			delete(params, k) // a blank field means "not given"
		}
	}
	res, _, err := wb.Actions.Run(r.Context(), v.p, action.Input{
		Integration: t.Integration.ID, Action: a.Key, Environment: env, Params: params,
		Version: executor.VersionLatest, Source: executor.SourceTest,
	})
	if err != nil {
		p, ok := problem.As(err)
		if !ok || p.Status == http.StatusForbidden || p.Status == http.StatusNotFound {
			return err
		}
		errs := map[string]string{}
		for _, fe := range p.Errors {
			errs[fe.Field] = fe.Message
		}
		wb.renderTest(w, r, v, http.StatusOK, t, a, env, values, errs, &testResult{Failure: p.Detail})
		return nil
	}
	secrets := wb.Connections.Secrets(r.Context(), v.p, t.Integration.ID, env)
	out := &testResult{Request: res.Request, Status: res.Status, Latency: res.DurationMS, Attempts: res.Attempts, LogID: res.LogID,
		Body: mask(prettyJSON(res.Body), secrets)}
	if res.Request != nil {
		req := *res.Request
		req.URL, req.Body = mask(req.URL, secrets), mask(req.Body, secrets)
		out.Request = &req
		out.Headers = sortedHeaders(maskAuthHeaders(req.Headers, t.Definition.Auth), secrets)
	}
	out.RespHdrs = sortedHeaders(res.Headers, secrets)
	wb.renderTest(w, r, v, http.StatusOK, t, a, env, values, nil, out)
	return nil
}

// maskAuthHeaders hides the header an api_key integration sends its key
// in, whatever it is called; the executor already masks headers whose
// names say they are secret.
func maskAuthHeaders(h map[string]string, a connector.Auth) map[string]string {
	out := make(map[string]string, len(h))
	for k, val := range h {
		if strings.EqualFold(k, "Authorization") || (a.Type == connector.AuthAPIKey && a.Location != "query" && strings.EqualFold(k, a.Key)) {
			val = "[REDACTED]"
		}
		out[k] = val
	}
	return out
}

func mask(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

func sortedHeaders(h map[string]string, secrets []string) []header {
	out := make([]header, 0, len(h))
	for k, val := range h {
		out = append(out, header{k, mask(val, secrets)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
