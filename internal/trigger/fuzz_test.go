package trigger

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// FuzzExpressions compiles a condition and a {{ }} mapping and evaluates
// them against an event built from the fuzzed body, as the intake does.
// Whatever a sender or a member writes, compiling and evaluating must not
// panic, text without {{ must come through unchanged, and what a mapping
// produces must stay within the output budget.
func FuzzExpressions(f *testing.F) {
	for _, s := range []struct{ when, mapping, body string }{
		{`event.type == "invoice.paid"`, `{{ event.data.object.customer }}`, `{"type":"invoice.paid","data":{"object":{"customer":"cus_1"}}}`},
		{`event.amount > 1000 && event.currency in ["usd", "eur"]`, `Paid {{ event.amount / 100 }} {{ upper(event.currency) }}`, `{"amount":1250,"currency":"usd"}`},
		{`len(event.items) > 0`, `{{ map(event.items, .sku) }}`, `{"items":[{"sku":"a"},{"sku":"b"}]}`},
		{`headers["X-Event"] == "push"`, `{{ toJSON(event) }}`, `{"ref":"refs/heads/main"}`},
		{`webhook.source == "standard"`, `plain text, no template`, `not json`},
		{`repeat("a", 999999) != ""`, `{{ repeat(event.x, 99999) }}`, `{"x":"aaaaaaaaaa"}`},
		{`event.s + event.s + event.s + event.s`, `{{ join([event.s, event.s, event.s], event.s) }}`, `{"s":"xxxxxxxxxxxxxxxx"}`},
		{`true`, `{{ replace(event.s, "", event.s) }}`, `{"s":"abcdefghijklmnopqrstuvwxyz"}`},
		{`now().Year() > 2000`, `{{ event.missing?.deep ?? "none" }}`, `{}`},
		{`all(event.n, # > 0)`, `{{`, `{"n":[1,2,3]}`},
		{`event.a.b.c.d`, `{{ }}`, `[]`},
	} {
		f.Add(s.when, s.mapping, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, when, mapping string, body []byte) {
		tr, err := Compile("fuzz", Spec{When: when, Integration: "crm", Action: "create", Params: map[string]any{"p": mapping}})
		if err != nil {
			if tr != nil {
				t.Fatal("Compile returned a trigger with an error")
			}
			return
		}
		h := http.Header{"Content-Type": {"application/json"}, "X-Event": {"push"}}
		env := Env(Webhook{ID: "wh_1", Name: "hook", Source: "standard"}, h, body)
		_, _ = tr.Match(env)
		params, err := tr.Params(env)
		if err != nil {
			return
		}
		got := params["p"]
		if !strings.Contains(mapping, "{{") && got != mapping {
			t.Fatalf("the literal %q came through as %#v", mapping, got)
		}
		if b, err := json.Marshal(got); err == nil && len(b) > 2*OutputBudget+len(mapping)+len(body)*2 {
			t.Fatalf("a mapping produced %d bytes, over the output budget of %d", len(b), OutputBudget)
		}
	})
}
