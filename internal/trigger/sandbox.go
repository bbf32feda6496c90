package trigger

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// An expression runs on events that outside senders choose, inside the
// request that delivers them, so it may use only what a trigger needs and
// is held to budgets that bound what it can allocate and how long it runs.
const (
	// MaxExpression is the longest expression, in bytes.
	MaxExpression = 4 << 10
	// maxNodes bounds an expression's syntax tree.
	maxNodes = 400
	// iterationBudget bounds the elements an evaluation may range over or
	// collect (expr's own memory budget: ranges, map, filter, arrays).
	iterationBudget = 50_000
	// OutputBudget is how many bytes of text one evaluation may build
	// (concatenation, replace, join, toJSON, string, templates): enough for
	// any parameter, far below what could hurt the server.
	OutputBudget = 1 << 20
)

// Timeouts of an evaluation. A condition runs inside the delivery's
// request and is given up on (as not matching) after MatchTimeout; the
// parameters run in a trigger run's job.
var (
	MatchTimeout  = 100 * time.Millisecond
	ParamsTimeout = time.Second
)

// allowedBuiltins are expr's builtins a trigger may use as they are:
// tests, lookups, arithmetic, and functions that allocate nothing or count
// what they allocate against the iteration budget. The ones that build
// large values from small input (repeat, reduce) are left out; the ones
// that allocate as much as their input (upper, split, keys, toJSON…) are
// replaced by versions held to OutputBudget (see budgeted), since a loop
// may call them once per element.
var allowedBuiltins = []string{
	"all", "none", "any", "one", "filter", "map", "find", "findIndex", "findLast", "findLastIndex", "count", "sum",
	"len", "type", "abs", "ceil", "floor", "round", "int", "float",
	"trim", "trimPrefix", "trimSuffix", "indexOf", "lastIndexOf", "hasPrefix", "hasSuffix",
	"max", "min", "mean", "now", "duration", "date", "first", "last", "get", "take", "reverse", "concat", "flatten",
}

// budgetKey is the variable through which the budgeted functions find
// their evaluation's budget.
const budgetKey = "ctx"

// envShape declares the variables so compilation catches unknown names.
var envShape = map[string]any{
	"event": map[string]any{}, "headers": map[string]string{}, "webhook": map[string]any{},
	budgetKey: context.Context(context.Background()),
}

// compileExpr compiles one expression with the trigger language's limits.
func compileExpr(src string, opts ...expr.Option) (*vm.Program, error) {
	if len(src) > MaxExpression {
		return nil, fmt.Errorf("the expression is %d bytes long; keep it under %d", len(src), MaxExpression)
	}
	if err := refuseLeftOut(src); err != nil {
		return nil, err
	}
	all := []expr.Option{expr.Env(envShape), expr.DisableAllBuiltins(), expr.MaxNodes(maxNodes)}
	for _, b := range allowedBuiltins {
		all = append(all, expr.EnableBuiltin(b))
	}
	all = append(all, budgeted...)
	all = append(all, expr.Patch(concatenation{}), expr.WithContext(budgetKey))
	all = append(all, opts...)
	return expr.Compile(src, all...)
}

// leftOut are the builtins a trigger may not use: they build values far
// larger than the event from little input.
var leftOut = []string{"repeat", "reduce", "sortBy", "groupBy", "toPairs", "fromPairs", "uniq", "median"}

// refuseLeftOut names a left-out builtin the expression calls. Loop
// builtins (reduce, groupBy…) are parsed as their own nodes, which
// disabling builtins does not reach.
func refuseLeftOut(src string) error {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil // the compiler reports it, with its position
	}
	var found string
	ast.Find(tree.Node, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BuiltinNode:
			if slices.Contains(leftOut, x.Name) {
				found = x.Name
			}
		case *ast.CallNode:
			if id, ok := x.Callee.(*ast.IdentifierNode); ok && slices.Contains(leftOut, id.Value) {
				found = id.Value
			}
		}
		return found != ""
	})
	if found != "" {
		return fmt.Errorf("%s is not available in triggers: it can build values far larger than the event", found)
	}
	return nil
}

// budget is what one evaluation may still produce.
type budget struct{ left int }

type budgetCtx struct {
	context.Context
	b *budget
}

// spend takes n bytes from the evaluation's budget in ctx.
func spend(ctx context.Context, n int) error {
	bc, ok := ctx.(budgetCtx)
	if !ok {
		return errors.New("the expression ran outside an evaluation")
	}
	bc.b.left -= n
	if bc.b.left < 0 {
		return fmt.Errorf("the expression would build more than %d KB of text", OutputBudget>>10)
	}
	return nil
}

// concatenation makes "+" go through the budgeted add, so that joining
// text is counted.
type concatenation struct{}

func (concatenation) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BinaryNode); ok && b.Operator == "+" {
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__add"}, Arguments: []ast.Node{b.Left, b.Right}})
	}
}

// budgeted are the functions that build text, held to the budget.
var budgeted = []expr.Option{
	expr.Function("__add", func(p ...any) (any, error) {
		if a, ok := p[1].(string); ok {
			if b, ok := p[2].(string); ok {
				if err := spend(p[0].(context.Context), len(a)+len(b)); err != nil {
					return nil, err
				}
				return a + b, nil
			}
		}
		return runtime.Add(p[1], p[2]), nil
	}, new(func(context.Context, any, any) any)),
	expr.Function("replace", func(p ...any) (any, error) {
		s, old, nw := fmt.Sprint(p[1]), fmt.Sprint(p[2]), fmt.Sprint(p[3])
		n := strings.Count(s, old)
		if err := spend(p[0].(context.Context), len(s)+n*(len(nw)-len(old))); err != nil {
			return nil, err
		}
		return strings.ReplaceAll(s, old, nw), nil
	}, new(func(context.Context, string, string, string) string)),
	expr.Function("join", func(p ...any) (any, error) {
		sep := ""
		if len(p) == 3 {
			sep = fmt.Sprint(p[2])
		}
		items, ok := p[1].([]any)
		if !ok {
			return nil, fmt.Errorf("join needs an array, got %T", p[1])
		}
		ctx := p[0].(context.Context)
		parts := make([]string, len(items))
		for i, it := range items {
			s, err := render(ctx, it)
			if err != nil {
				return nil, err
			}
			if err := spend(ctx, len(sep)); err != nil {
				return nil, err
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	}, new(func(context.Context, []any) string), new(func(context.Context, []any, string) string)),
	expr.Function("toJSON", func(p ...any) (any, error) {
		b, err := encode(p[0].(context.Context), p[1])
		return string(b), err
	}, new(func(context.Context, any) string)),
	expr.Function("string", func(p ...any) (any, error) {
		return render(p[0].(context.Context), p[1])
	}, new(func(context.Context, any) string)),
	expr.Function("upper", func(p ...any) (any, error) {
		return spent(p[0], len(p[1].(string)), func() any { return strings.ToUpper(p[1].(string)) })
	}, new(func(context.Context, string) string)),
	expr.Function("lower", func(p ...any) (any, error) {
		return spent(p[0], len(p[1].(string)), func() any { return strings.ToLower(p[1].(string)) })
	}, new(func(context.Context, string) string)),
	expr.Function("split", func(p ...any) (any, error) {
		return splitBudgeted(p, strings.SplitN)
	}, new(func(context.Context, string, string) []string), new(func(context.Context, string, string, int) []string)),
	expr.Function("splitAfter", func(p ...any) (any, error) {
		return splitBudgeted(p, strings.SplitAfterN)
	}, new(func(context.Context, string, string) []string), new(func(context.Context, string, string, int) []string)),
	expr.Function("keys", func(p ...any) (any, error) {
		m, err := asObject(p[1])
		if err != nil {
			return nil, err
		}
		return spent(p[0], len(m)*sliceEntry, func() any {
			out := make([]any, 0, len(m))
			for k := range m {
				out = append(out, k)
			}
			return out
		})
	}, new(func(context.Context, any) []any)),
	expr.Function("values", func(p ...any) (any, error) {
		m, err := asObject(p[1])
		if err != nil {
			return nil, err
		}
		return spent(p[0], len(m)*sliceEntry, func() any {
			out := make([]any, 0, len(m))
			for _, v := range m {
				out = append(out, v)
			}
			return out
		})
	}, new(func(context.Context, any) []any)),
	expr.Function("fromJSON", func(p ...any) (any, error) {
		s := p[1].(string)
		if err := spend(p[0].(context.Context), 2*len(s)); err != nil {
			return nil, err
		}
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("fromJSON: %w", err)
		}
		return v, nil
	}, new(func(context.Context, string) any)),
	expr.Function("toBase64", func(p ...any) (any, error) {
		s := p[1].(string)
		return spent(p[0], base64.StdEncoding.EncodedLen(len(s)), func() any { return base64.StdEncoding.EncodeToString([]byte(s)) })
	}, new(func(context.Context, string) string)),
	expr.Function("fromBase64", func(p ...any) (any, error) {
		s := p[1].(string)
		if err := spend(p[0].(context.Context), len(s)); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("fromBase64: %w", err)
		}
		return string(b), nil
	}, new(func(context.Context, string) string)),
}

// sliceEntry is what one element of a built slice costs against the
// budget: its header, whatever it points to.
const sliceEntry = 16

// spent takes n bytes from the budget in ctx, then builds the value.
func spent(ctx any, n int, build func() any) (any, error) {
	if err := spend(ctx.(context.Context), n); err != nil {
		return nil, err
	}
	return build(), nil
}

func splitBudgeted(p []any, split func(s, sep string, n int) []string) (any, error) {
	s, sep := p[1].(string), p[2].(string)
	n := -1
	if len(p) == 4 {
		n = runtime.ToInt(p[3])
	}
	parts := strings.Count(s, sep) + 1
	if sep == "" {
		parts = len(s)
	}
	if n >= 0 && n < parts {
		parts = n
	}
	return spent(p[0], parts*sliceEntry, func() any { return split(s, sep, n) })
}

// asObject reads a map an expression handles: an event object or the
// headers.
func asObject(v any) (map[string]any, error) {
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected an object, got %T", v)
}

// encode is JSON held to the budget. The size is taken before encoding,
// since the encoder builds its whole output in memory first.
func encode(ctx context.Context, v any) ([]byte, error) {
	bc, ok := ctx.(budgetCtx)
	if !ok {
		return nil, errors.New("the expression ran outside an evaluation")
	}
	if n := jsonSize(v, bc.b.left); n > bc.b.left {
		return nil, fmt.Errorf("the expression would build more than %d KB of text", OutputBudget>>10)
	}
	var out strings.Builder
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("toJSON: %w", err)
	}
	b := []byte(strings.TrimSuffix(out.String(), "\n"))
	return b, spend(ctx, len(b))
}

// jsonSize is at least the length of v's JSON, counted only up to limit
// (it stops there): the values an expression handles come from JSON, so
// strings, numbers, booleans, nil, arrays and objects.
func jsonSize(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		switch x := v.(type) {
		case string:
			n += len(x) + 2
		case []any:
			n += 2
			for _, it := range x {
				walk(it)
				n++
			}
		case map[string]any:
			n += 2
			for k, it := range x {
				n += len(k) + 4
				walk(it)
			}
		default:
			n += 24 // numbers, booleans, nil, dates
		}
	}
	walk(v)
	return n
}

// render is how a value reads inside text: scalars as they are, objects
// and arrays as JSON, nil as nothing; held to the budget.
func render(ctx context.Context, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, spend(ctx, len(x))
	case map[string]any, []any:
		b, err := encode(ctx, x)
		return string(b), err
	}
	s := fmt.Sprint(v)
	return s, spend(ctx, len(s))
}

// evaluation runs programs of one event's expressions within one budget.
type evaluation struct {
	env map[string]any
	b   budget
}

func newEvaluation(env map[string]any) *evaluation {
	e := &evaluation{env: make(map[string]any, len(env)+1), b: budget{left: OutputBudget}}
	for k, v := range env {
		e.env[k] = v
	}
	e.env[budgetKey] = budgetCtx{Context: context.Background(), b: &e.b}
	return e
}

func (e *evaluation) run(p *vm.Program) (any, error) {
	machine := vm.VM{MemoryBudget: iterationBudget}
	return machine.Run(p, e.env)
}

// ErrTimeout means an expression ran out of time; a condition that does
// is treated as not matching.
var ErrTimeout = errors.New("the expression ran out of time")

// bounded runs f in its own goroutine for at most d. An expression that
// runs past d keeps its goroutine until it ends (Go cannot stop it), so
// until then the trigger is given up on at once for every other event: one
// slow expression costs one goroutine, never the intake.
func (t *Trigger) bounded(d time.Duration, f func() (any, error)) (any, error) {
	if t.runaway.Load() > 0 {
		return nil, fmt.Errorf("%w: it is still running on an earlier event", ErrTimeout)
	}
	type result struct {
		v   any
		err error
	}
	const (
		running int32 = iota
		finished
		abandoned
	)
	var state atomic.Int32
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("the expression failed: %v", r)}
			}
			if !state.CompareAndSwap(running, finished) {
				t.runaway.Add(-1) // it was abandoned and counted
			}
		}()
		v, err := f()
		done <- result{v, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-timer.C:
		if !state.CompareAndSwap(running, abandoned) {
			r := <-done // it finished as the timer fired
			return r.v, r.err
		}
		t.runaway.Add(1)
		return nil, fmt.Errorf("%w (%s)", ErrTimeout, d)
	}
}
