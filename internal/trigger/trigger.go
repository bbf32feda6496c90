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

	"sync/atomic"

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
	// runaway counts evaluations still running past their timeout; while
	// there is one, the trigger is not evaluated again.
	runaway atomic.Int32
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
		p, err := compileExpr(spec.When, expr.AsBool())
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

// Match evaluates the condition, within MatchTimeout and the budgets; a
// trigger without one always matches.
func (t *Trigger) Match(env map[string]any) (bool, error) {
	if t.when == nil {
		return true, nil
	}
	out, err := t.bounded(MatchTimeout, func() (any, error) { return newEvaluation(env).run(t.when) })
	if err != nil {
		return false, fmt.Errorf("when: %w", err)
	}
	ok, _ := out.(bool)
	return ok, nil
}

// Params evaluates the parameter mappings, within ParamsTimeout and one
// budget for all of them.
func (t *Trigger) Params(env map[string]any) (map[string]any, error) {
	out, err := t.bounded(ParamsTimeout, func() (any, error) {
		e := newEvaluation(env)
		params := make(map[string]any, len(t.params))
		for name, v := range t.params {
			got, err := v.eval(e)
			if err != nil {
				return nil, fmt.Errorf("params.%s: %w", name, err)
			}
			params[name] = got
		}
		return params, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}
