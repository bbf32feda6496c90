package connector

import (
	"encoding/json"
	"testing"
)

// Numbers decoded with json.Decoder.UseNumber are checked by their exact
// value and sent as written.
func TestExactNumbers(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	ok := []json.Number{"42", "9007199254740993", "1e2", "1.5e1", "100e-2", "-0.0", "18446744073709551616"}
	for _, n := range ok {
		if _, err := a.CheckParams(map[string]any{"id": "1", "name": "Ann", "score": n, "age": json.Number("7")}); err != nil {
			t.Errorf("score %s: %v", n, err)
		}
	}
	for _, n := range []json.Number{"42", "1e2", "1.5e1", "100e-2", "-0.0", "1.50e+1"} {
		if _, err := a.CheckParams(map[string]any{"id": "1", "name": "Ann", "age": n}); err != nil {
			t.Errorf("integer age %s: %v", n, err)
		}
	}
	fractions := []json.Number{"1.5", "9007199254740993.5", "1.25e1", "1e-400", "7.0000000000000000000000000000001"}
	for _, n := range fractions {
		_, err := a.CheckParams(map[string]any{"id": "1", "name": "Ann", "age": n})
		assertFieldError(t, err, "params.age", "must be an integer, got "+string(n))
	}
	_, err := a.CheckParams(map[string]any{"id": "1", "name": "Ann", "age": json.Number("1e400")})
	assertFieldError(t, err, "params.age", "must be at most 150")

	d := mustParse(t, shop)
	upd, _ := d.Action("update_order")
	req, err := d.Build(upd, Production, map[string]any{
		"id": json.Number("9007199254740995"), "lines": []any{json.Number("9007199254740993"), json.Number("0.10000000000000000555")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if req.URL != "https://shop.test/v1/orders/9007199254740995" || string(req.Body) != `{"lines":[9007199254740993,0.10000000000000000555]}` {
		t.Errorf("built %s %s", req.URL, req.Body)
	}
}

func TestCoerceStringsKeepsNumbersExact(t *testing.T) {
	t.Parallel()
	a := &mustParse(t, contacts).Actions[0]
	got, err := CoerceStrings(a, map[string]string{"age": "9007199254740993", "score": "0.10000000000000000555"})
	if err != nil {
		t.Fatal(err)
	}
	if got["age"] != int64(9007199254740993) || got["score"] != json.Number("0.10000000000000000555") {
		t.Errorf("got %#v", got)
	}
	got, err = CoerceStrings(a, map[string]string{"age": "18446744073709551616", "score": "1."})
	if err != nil || got["age"] != json.Number("18446744073709551616") || got["score"] != 1.0 {
		t.Errorf("got %#v, %v", got, err)
	}
	_, err = CoerceStrings(a, map[string]string{"score": "NaN", "age": "1.5"})
	assertFieldError(t, err, "params.score", `must be a number, got "NaN"`)
	assertFieldError(t, err, "params.age", `must be an integer, got "1.5"`)
}
