package action

import (
	"context"
	"errors"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/fit"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// resultOwner is who may read the results p's calls store: the agent, or
// the member (across their keys and the dashboard). Triggers and workers
// store none: nobody would read them.
func resultOwner(p access.Principal) string {
	switch p.Kind {
	case access.Agent:
		return "agent:" + p.AgentID
	case access.Member:
		return "user:" + p.User.ID
	}
	return ""
}

// ReadInput names a part of a stored result: a byte range (Offset,
// Length) or, for a list, an item range (Start, Count). Budget bounds
// the part.
type ReadInput struct {
	ID           string
	Offset       int
	Length       int
	Start, Count *int
	Budget       int
}

// ReadResult reads part of a result stored for p. Another principal's,
// another organization's and an expired result are not found alike.
func (s *Service) ReadResult(ctx context.Context, p access.Principal, in ReadInput) (fit.Part, error) {
	owner := resultOwner(p)
	if owner == "" || in.ID == "" {
		return fit.Part{}, problem.NotFound("result %q not found", in.ID)
	}
	r, err := s.Store.GetResult(ctx, p.Org.ID, owner, in.ID)
	if errors.Is(err, store.ErrNotFound) {
		return fit.Part{}, problem.NotFound("result %q not found: it expired, or was made by another caller (only the agent or member whose call stored it may read it)", in.ID)
	}
	if err != nil {
		return fit.Part{}, err
	}
	budget := in.Budget
	if budget <= 0 {
		budget = fit.DefaultBudget
	}
	var part fit.Part
	if in.Start != nil || in.Count != nil {
		start, count := 0, 0
		if in.Start != nil {
			start = *in.Start
		}
		if in.Count != nil {
			count = *in.Count
		}
		part, err = fit.ReadItems(r.Body, start, count, budget)
	} else {
		length := in.Length
		if length <= 0 || length > budget {
			length = budget
		}
		part, err = fit.ReadBytes(r.Body, in.Offset, length)
	}
	if err != nil {
		return fit.Part{}, problem.BadRequest("%s", err)
	}
	return part, nil
}
