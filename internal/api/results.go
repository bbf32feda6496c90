package api

import (
	"net/http"
	"strconv"

	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/problem"
)

// readResult answers part of a result stored for the caller:
// ?offset=&length= for a byte range, ?start=&count= for items of a list.
func (a *API) readResult(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := action.ReadInput{ID: r.PathValue("id")}
	for name, dst := range map[string]*int{"offset": &in.Offset, "length": &in.Length, "budget": &in.Budget} {
		if err := intParam(q.Get(name), name, dst); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	for name, dst := range map[string]**int{"start": &in.Start, "count": &in.Count} {
		if v := q.Get(name); v != "" {
			n := 0
			if err := intParam(v, name, &n); err != nil {
				a.fail(w, r, err)
				return
			}
			*dst = &n
		}
	}
	part, err := a.Actions.ReadResult(r.Context(), principal(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, part)
}

func intParam(v, name string, dst *int) error {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return problem.BadRequest("%s must be a whole number of 0 or more, got %q", name, v)
	}
	*dst = n
	return nil
}
