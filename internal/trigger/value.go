package trigger

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"
)

// value is a compiled parameter value: a literal, one expression, a text
// template, or an object or array of values.
type value interface {
	eval(e *evaluation) (any, error)
}

type literal struct{ v any }

func (l literal) eval(*evaluation) (any, error) { return l.v, nil }

type exprValue struct{ p *vm.Program }

func (x exprValue) eval(e *evaluation) (any, error) { return e.run(x.p) }

// template interpolates expression results between literal parts:
// parts[0] expr[0] parts[1] expr[1] … parts[n].
type template struct {
	parts []string
	exprs []*vm.Program
}

func (t template) eval(e *evaluation) (any, error) {
	var b strings.Builder
	ctx := e.env[budgetKey].(budgetCtx)
	for i, p := range t.parts {
		b.WriteString(p)
		if i < len(t.exprs) {
			v, err := e.run(t.exprs[i])
			if err != nil {
				return nil, err
			}
			s, err := render(ctx, v)
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
		}
	}
	return b.String(), nil
}

type object map[string]value

func (o object) eval(e *evaluation) (any, error) {
	out := make(map[string]any, len(o))
	for k, v := range o {
		got, err := v.eval(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = got
	}
	return out, nil
}

type array []value

func (a array) eval(e *evaluation) (any, error) {
	out := make([]any, len(a))
	for i, v := range a {
		got, err := v.eval(e)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out[i] = got
	}
	return out, nil
}

func compileValue(raw any) (value, error) {
	switch x := raw.(type) {
	case string:
		return compileString(x)
	case map[string]any:
		o := object{}
		for k, v := range x {
			c, err := compileValue(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			o[k] = c
		}
		return o, nil
	case []any:
		a := make(array, len(x))
		for i, v := range x {
			c, err := compileValue(v)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			a[i] = c
		}
		return a, nil
	}
	return literal{raw}, nil
}

// compileString splits s at "{{ … }}". When s is exactly one of them the
// expression's result is used as is, keeping its type.
func compileString(s string) (value, error) {
	if !strings.Contains(s, "{{") {
		return literal{s}, nil
	}
	var t template
	rest := s
	offset := 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, rest)
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%q at byte %d opens {{ without a closing }}", s, offset+i)
		}
		src := rest[i+2 : i+2+j]
		if strings.TrimSpace(src) == "" {
			return nil, fmt.Errorf("%q at byte %d has an empty {{ }}", s, offset+i)
		}
		p, err := compileExpr(src)
		if err != nil {
			return nil, fmt.Errorf("in {{%s}} at byte %d: %w", src, offset+i, err)
		}
		t.parts = append(t.parts, rest[:i])
		t.exprs = append(t.exprs, p)
		offset += i + 2 + j + 2
		rest = rest[i+2+j+2:]
	}
	if len(t.exprs) == 1 && t.parts[0] == "" && t.parts[1] == "" {
		return exprValue{t.exprs[0]}, nil
	}
	return t, nil
}
