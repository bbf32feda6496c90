package trigger_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/trigger"
)

var stripeEvent = []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_123456","amount":5000,"currency":"usd","customer":"cus_123456"}}}`)

func env() map[string]any {
	h := http.Header{"Content-Type": {"application/json"}, "Stripe-Signature": {"t=1,v1=x"}}
	return trigger.Env(trigger.Webhook{ID: "wh_1", Name: "Payments", Source: "stripe"}, h, stripeEvent)
}

func TestConditionAndParams(t *testing.T) {
	t.Parallel()
	tr, err := trigger.Compile("trg_1", trigger.Spec{
		When:        `event.type == "payment_intent.succeeded" && event.data.object.amount >= 1000`,
		Integration: "custom_crm", Action: "create_contact",
		Params: map[string]any{
			"customer": "{{ event.data.object.customer }}",
			"amount":   "{{ event.data.object.amount / 100 }}",
			"note":     "Paid {{ event.data.object.amount }} {{ upper(event.data.object.currency) }} via {{ webhook.source }}",
			"fixed":    float64(7),
			"nested":   map[string]any{"sig": "{{ headers['stripe-signature'] }}", "list": []any{"{{ event.id }}", true}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := tr.Match(env())
	if err != nil || !ok {
		t.Fatalf("match = %v, %v; want true", ok, err)
	}
	got, err := tr.Params(env())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"customer": "cus_123456",
		"amount":   float64(50),
		"note":     "Paid 5000 USD via stripe",
		"fixed":    float64(7),
		"nested":   map[string]any{"sig": "t=1,v1=x", "list": []any{"evt_1", true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("params:\n got %#v\nwant %#v", got, want)
	}

	other, err := trigger.Compile("trg_2", trigger.Spec{When: `event.type == "charge.refunded"`, URL: "https://example.com/in"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := other.Match(env()); err != nil || ok {
		t.Fatalf("other match = %v, %v; want false", ok, err)
	}
}

func TestCompileErrorsShowWhereAndWhat(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		spec trigger.Spec
		want []string
	}{
		{"bad when", trigger.Spec{When: `event.type == `, Integration: "a", Action: "b"}, []string{"when:", "(1:"}},
		{"unknown variable", trigger.Spec{When: `evnt.type == "x"`, Integration: "a", Action: "b"}, []string{"when:", "evnt"}},
		{"bad param", trigger.Spec{Integration: "a", Action: "b", Params: map[string]any{"email": "{{ event.( }}"}}, []string{"params.email", "(1:"}},
		{"unclosed", trigger.Spec{Integration: "a", Action: "b", Params: map[string]any{"email": "hi {{ event.x"}}, []string{"params.email", "closing }}"}},
		{"no target", trigger.Spec{When: "true"}, []string{"integration and the action"}},
		{"both targets", trigger.Spec{Integration: "a", Action: "b", URL: "https://x"}, []string{"not both"}},
		{"bad url", trigger.Spec{URL: "ftp://x"}, []string{"absolute http"}},
		{"bad env", trigger.Spec{Integration: "a", Action: "b", Environment: "prod"}, []string{"sandbox or production"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := trigger.Compile("x", c.spec)
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFormBodies(t *testing.T) {
	t.Parallel()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	e := trigger.Env(trigger.Webhook{}, h, []byte(`command=%2Fdeploy&text=prod&payload=%7B%22type%22%3A%22block_actions%22%7D`))
	tr, err := trigger.Compile("t", trigger.Spec{When: `event.command == "/deploy" && event.payload.type == "block_actions"`, URL: "https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := tr.Match(e); err != nil || !ok {
		t.Fatalf("match = %v, %v", ok, err)
	}
}

// An event's numbers reach the action as the sender wrote them: a large
// id is not rounded through a float64, and arithmetic still works.
func TestEventNumbersStayExact(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id": 9007199254740993, "amount": 1250, "rate": 0.1, "huge": 1e400}`)
	e := trigger.Env(trigger.Webhook{ID: "wh_1"}, http.Header{"Content-Type": {"application/json"}}, body)
	tr, err := trigger.Compile("t", trigger.Spec{When: "event.amount > 1000 && event.rate < 1", Integration: "i", Action: "a",
		Params: map[string]any{"id": "{{ event.id }}", "text": "#{{ event.id }}", "cents": "{{ event.amount * 2 }}", "huge": "{{ event.huge }}"}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := tr.Match(e); !ok || err != nil {
		t.Fatalf("Match = %v, %v", ok, err)
	}
	params, err := tr.Params(e)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(params)
	want := `{"cents":2500,"huge":1e400,"id":9007199254740993,"text":"#9007199254740993"}`
	if string(got) != want {
		t.Fatalf("params %s, want %s", got, want)
	}
}
