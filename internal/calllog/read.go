package calllog

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Reader shows the call log, to each member what they may see. The REST
// API, the CLI and the dashboard all read through it.
type Reader struct {
	store *store.Store
	rules *access.Rules
}

// NewReader returns a reader of st's call log.
func NewReader(st *store.Store, rules *access.Rules) *Reader { return &Reader{store: st, rules: rules} }

// List lists the entries matching f that p may see, newest first, without
// bodies. An integration filter naming one p may not use is not found.
func (r *Reader) List(ctx context.Context, p access.Principal, f store.CallLogFilter) ([]store.CallLog, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", "ok", "error":
	default:
		if _, err := strconv.Atoi(f.Status); err != nil {
			return nil, problem.BadRequest("status must be ok, error or an HTTP status such as 404, got %q", f.Status)
		}
	}
	if f.IntegrationID != "" {
		in, err := r.rules.Integration(ctx, p, f.IntegrationID)
		if err != nil {
			return nil, err
		}
		f.IntegrationID = in.ID
	}
	if err := r.rules.Scope(ctx, p, &f); err != nil {
		return nil, err
	}
	return r.store.ListCallLogs(ctx, p.Org.ID, f)
}

// Get loads one entry with its bodies, when p may see it.
func (r *Reader) Get(ctx context.Context, p access.Principal, id string) (store.CallLog, error) {
	if err := p.May(access.Read); err != nil {
		return store.CallLog{}, err
	}
	l, err := r.store.GetCallLog(ctx, p.Org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.CallLog{}, access.NotFound("call log entry", id)
	}
	if err != nil {
		return store.CallLog{}, err
	}
	ok, err := r.rules.SeesLog(ctx, p, l)
	if err != nil {
		return store.CallLog{}, err
	}
	if !ok {
		return store.CallLog{}, access.NotFound("call log entry", id)
	}
	return l, nil
}

// Stats buckets the calls of an integration p may use between since and
// until by step: counts, errors and latency percentiles, for charts.
func (r *Reader) Stats(ctx context.Context, p access.Principal, ref string, since, until time.Time, step time.Duration) ([]store.CallBucket, error) {
	if err := p.May(access.Read); err != nil {
		return nil, err
	}
	in, err := r.rules.Integration(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return r.store.CallStats(ctx, p.Org.ID, in.ID, since, until, step)
}
