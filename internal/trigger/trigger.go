// Package trigger is the domain of webhook triggers: the rules that turn
// an event into work, and the runs that do it.
//
// A trigger is a condition ("when") and parameter mappings written in the
// expr language (github.com/expr-lang/expr) over three variables:
//
//   - event: the body parsed as JSON, or form fields for form posts
//     (a string when the body is neither);
//   - headers: request headers, lower-case name → first value;
//   - webhook: {"id", "name", "source"}.
//
// Expressions are compiled once when a trigger is saved, so mistakes are
// reported then, with their position. A parameter value that is exactly one
// "{{ … }}" keeps the type of its result (a number stays a number); text
// mixing literal parts and "{{ … }}" is interpolated into a string.
//
// Each matching event becomes a run, worked as a job of the durable queue
// by [Runner]: it calls the trigger's action (through package action, as
// the member who made the trigger) or forwards the event, retries failures
// with full-jitter exponential backoff as the webhook's [RetryPolicy] says,
// and records every attempt until the run succeeds or is dead.
package trigger

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Spec is a trigger as saved: the JSON of the REST API.
type Spec struct {
	// When is the condition; empty matches every event.
	When string `json:"when,omitempty"`
	// Integration and Action name the action to run (id or slug, key or
	// name); Environment defaults to sandbox.
	Integration string `json:"integration,omitempty"`
	Action      string `json:"action,omitempty"`
	Environment string `json:"environment,omitempty"`
	// Params maps action parameters to values and templates.
	Params map[string]any `json:"params,omitempty"`
	// URL, instead of an action, forwards the event's body to this address.
	URL string `json:"url,omitempty"`
}

// Trigger is a compiled Spec.
type Trigger struct {
	ID     string
	Spec   Spec
	when   *vm.Program
	params map[string]value
}

// Compile checks spec and compiles its expressions. Errors name the field
// ("when", "params.email") and the position in the expression.
func Compile(id string, spec Spec) (*Trigger, error) {
	t := &Trigger{ID: id, Spec: spec, params: map[string]value{}}
	var errs []error
	hasAction := spec.Integration != "" || spec.Action != ""
	switch {
	case hasAction && spec.URL != "":
		errs = append(errs, errors.New("set either integration and action, or url, not both"))
	case spec.URL != "":
		u, err := url.Parse(spec.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("url %q: want an absolute http or https URL", spec.URL))
		}
		if len(spec.Params) > 0 {
			errs = append(errs, errors.New("params apply to actions only; a url trigger forwards the event body as received"))
		}
	case spec.Integration == "" || spec.Action == "":
		errs = append(errs, errors.New("name the integration and the action to run (or a url to forward to)"))
	}
	switch spec.Environment {
	case "", "sandbox", "production":
	default:
		errs = append(errs, fmt.Errorf("environment must be sandbox or production, got %q", spec.Environment))
	}
	if strings.TrimSpace(spec.When) != "" {
		p, err := expr.Compile(spec.When, expr.Env(envShape), expr.AsBool())
		if err != nil {
			errs = append(errs, fmt.Errorf("when: %w", err))
		}
		t.when = p
	}
	for name, raw := range spec.Params {
		v, err := compileValue(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("params.%s: %w", name, err))
			continue
		}
		t.params[name] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// envShape declares the variables so compilation catches unknown names.
var envShape = map[string]any{"event": map[string]any{}, "headers": map[string]string{}, "webhook": map[string]any{}}

// Match evaluates the condition; a trigger without one always matches.
func (t *Trigger) Match(env map[string]any) (bool, error) {
	if t.when == nil {
		return true, nil
	}
	out, err := expr.Run(t.when, env)
	if err != nil {
		return false, fmt.Errorf("when: %w", err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// Params evaluates the parameter mappings.
func (t *Trigger) Params(env map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(t.params))
	for name, v := range t.params {
		got, err := v.eval(env)
		if err != nil {
			return nil, fmt.Errorf("params.%s: %w", name, err)
		}
		out[name] = got
	}
	return out, nil
}
