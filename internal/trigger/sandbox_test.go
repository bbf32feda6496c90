package trigger

import (
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// big is an event an outside sender could send: a large string and a
// list to loop over.
func big(t *testing.T) map[string]any {
	t.Helper()
	items := make([]string, 2000)
	for i := range items {
		items[i] = `{"n": 1}`
	}
	body := `{"x": "` + strings.Repeat("a", 600_000) + `", "y": "` + strings.Repeat("a", 599_999) + `b", "items": [` + strings.Join(items, ",") + `]}`
	return Env(Webhook{ID: "wh"}, http.Header{"Content-Type": {"application/json"}}, []byte(body))
}

// The reviewer's crasher and its relatives are refused when the trigger
// is saved: nothing that builds large values from small input compiles.
func TestExpressionsThatBuildLargeValuesDoNotCompile(t *testing.T) {
	t.Parallel()
	for _, when := range []string{
		`len(repeat("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 999999)) > 0`,
		`len(repeat(event.x, 1000)) > 0`,
		`reduce(1..30, #acc + #acc, "a") != ""`,
	} {
		_, err := Compile("", Spec{When: when, URL: "https://example.com/in"})
		if err == nil || !strings.Contains(err.Error(), "is not available in triggers") {
			t.Errorf("%s compiled: %v", when, err)
		}
	}
	if _, err := Compile("", Spec{When: strings.Repeat("event.a == 1 || ", 400) + "true", URL: "https://example.com/in"}); err == nil {
		t.Error("an expression over the size limit compiled")
	}
}

// What an expression builds is held to one budget per evaluation, checked
// before the memory is taken: text from concatenation, replace, join,
// toJSON, string, upper, split, keys and templates, and the elements of
// loops. Each attempt fails with an error instead of allocating.
func TestEvaluationsAreHeldToTheirBudgets(t *testing.T) {
	t.Parallel()
	env := big(t)
	for _, when := range []string{
		`len(event.x + event.y) > 0`,
		`len(replace(event.x, "", "bbbbbbbbbb")) > 0`,
		`len(join(map(event.items, event.x), ",")) > 0`,
		`len(toJSON(map(event.items, event.x))) > 0`,
		`len(string(map(event.items, event.x))) > 0`,
		`all(event.items, len(upper(event.x)) > 0)`,
		`any(event.items, len(split(event.x, "")) > 0)`,
		`len(map(1..10000000, #)) > 0`,
		`any(1..100000, any(1..100000, # == 0))`,
	} {
		tr, err := Compile("", Spec{When: when, URL: "https://example.com/in"})
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		ok, err := tr.Match(env)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if ok || err == nil || errors.Is(err, ErrTimeout) {
			t.Errorf("%s: matched %v, err %v; want a budget error", when, ok, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("%s allocated %d MB before it was stopped", when, grew>>20)
		}
	}
	// Templates in parameters share the budget.
	tr, err := Compile("", Spec{Integration: "i", Action: "a", Params: map[string]any{"a": "{{ event.x }}-{{ event.y }}"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Params(env); err == nil || !strings.Contains(err.Error(), "KB of text") {
		t.Errorf("a template over the budget: %v", err)
	}
	// Within the budget everything still works.
	ok, err := mustCompile(t, `len(event.x + "!") == 600001 && upper("ab") == "AB" && len(split("a,b", ",")) == 2 && toJSON({"a": 1}) == "{\"a\":1}"`).Match(env)
	if !ok || err != nil {
		t.Fatalf("a reasonable condition: %v, %v", ok, err)
	}
}

// A condition that runs out of time is given up on at MatchTimeout, and
// while it still runs the trigger answers at once for other events instead
// of starting it again: a slow expression never holds up the intake.
func TestSlowConditionsAreGivenUp(t *testing.T) {
	t.Parallel()
	env := big(t)
	// 6,000 comparisons of two 600 KB strings that differ in their last
	// byte.
	tr := mustCompile(t, `none(event.items, event.x == event.y) && none(event.items, event.x == event.y) && none(event.items, event.x == event.y) && event.x == ""`)
	const limit = time.Millisecond
	out, err := tr.bounded(limit, func() (any, error) { return newEvaluation(env).run(tr.when) })
	if !errors.Is(err, ErrTimeout) || out != nil {
		t.Fatalf("a slow condition: %v, %v", out, err)
	}
	if _, err := tr.Match(env); !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("while it still runs, another event: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for tr.runaway.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if tr.runaway.Load() != 0 {
		t.Fatal("the slow evaluation never ended")
	}
	if _, err := tr.bounded(time.Minute, func() (any, error) { return newEvaluation(env).run(tr.when) }); err != nil {
		t.Fatalf("once it ended, the trigger runs again: %v", err)
	}
}

func mustCompile(t *testing.T, when string) *Trigger {
	t.Helper()
	tr, err := Compile("", Spec{When: when, URL: "https://example.com/in"})
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	return tr
}
