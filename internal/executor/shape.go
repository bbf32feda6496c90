package executor

import (
	"context"
	"encoding/json"
	"time"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/store"
)

// DefaultResultRetention is how long a result too large for its caller's
// budget stays readable.
const DefaultResultRetention = 7 * 24 * time.Hour

// Shape is how a caller wants a successful result fitted to it.
type Shape struct {
	// Select is a jq expression that replaces the action's own response
	// selection.
	Select string
	// MaxBytes is the caller's own budget, which wins over the action's.
	MaxBytes int
	// DefaultBytes is the budget when neither the caller nor the action
	// sets one (an agent's default).
	DefaultBytes int
	// Owner may read a stored result ("agent:<id>", "user:<id>"). Without
	// one nothing is fitted to a budget: nobody could read the rest.
	Owner string
}

// budget is the byte budget of a call of a, or 0 for none.
func (s Shape) budget(a *connector.Action) int {
	switch {
	case s.Owner == "":
		return 0
	case s.MaxBytes > 0:
		return s.MaxBytes
	case a.Response != nil && a.Response.MaxBytes > 0:
		return a.Response.MaxBytes
	}
	return s.DefaultBytes
}

// shape applies the selection and the budget to a successful JSON answer.
// A selection that fails on the answer leaves the body whole and says why:
// the call itself happened, and its answer must not be lost. A body over
// the budget is stored for its owner and replaced by the part that fits.
func (e *Executor) shape(ctx context.Context, t *Target, a *connector.Action, s Shape, res *Result) error {
	raw, ok := res.Body.(json.RawMessage)
	if !ok || res.Status < 200 || res.Status > 299 {
		return nil
	}
	expr := s.Select
	if expr == "" && a.Response != nil {
		expr = a.Response.Select
	}
	if expr != "" {
		sel, err := fit.Select(ctx, raw, expr)
		if err != nil {
			res.SelectError = err.Error()
		} else {
			raw = sel
			res.Body = raw
		}
	}
	budget := s.budget(a)
	if budget <= 0 {
		return nil
	}
	full := fit.Compact(raw)
	if len(full) <= budget {
		return nil
	}
	part, shown, items := fit.Cut(full, budget)
	at := time.Now().UTC()
	retention := e.ResultRetention
	if retention == 0 {
		retention = DefaultResultRetention
	}
	st := store.StoredResult{
		ID: id.New("res"), OrgID: t.Integration.OrgID, Owner: s.Owner, IntegrationID: t.Integration.ID, Action: a.Key,
		Body: full, Items: items, CreatedAt: at, ExpiresAt: at.Add(retention),
	}
	if err := e.Store.PutResult(ctx, st); err != nil {
		return err
	}
	res.Body = part
	res.Stored = &fit.Stored{ID: st.ID, Bytes: len(full), Items: max(items, 0), Shown: shown, ExpiresAt: st.ExpiresAt, Budget: budget}
	return nil
}
