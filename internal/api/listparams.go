package api

import (
	"net/url"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
)

// listParams are the query parameters list endpoints share.
type listParams struct {
	Since, Until time.Time // RFC 3339; zero when absent
	Limit        int       // 1 to 500; 0 when absent (the store's default)
}

// parseListParams reads since, until and limit, with problems that say
// what a valid value looks like.
func parseListParams(q url.Values) (listParams, error) {
	var p listParams
	for name, dst := range map[string]*time.Time{"since": &p.Since, "until": &p.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return listParams{}, problem.BadRequest("%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", name, v)
			}
			*dst = t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return listParams{}, problem.BadRequest("limit must be a number from 1 to 500, got %q", v)
		}
		p.Limit = n
	}
	return p, nil
}
