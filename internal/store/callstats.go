package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// CallBucket summarizes the calls of one integration in one time bucket.
type CallBucket struct {
	Start  time.Time
	Calls  int
	Errors int // 4xx/5xx answers and calls that failed without an answer
	P50MS  float64
	P95MS  float64
}

// CallStats buckets an integration's calls in [since, until) into slots of
// width step: counts and errors are summed by the database, latency
// percentiles are computed here from the bucket's durations, since SQLite
// has no percentile function. Every bucket of the range is returned, empty
// ones included, oldest first.
func (s *Store) CallStats(ctx context.Context, orgID, integrationID string, since, until time.Time, step time.Duration) ([]CallBucket, error) {
	if step <= 0 || !until.After(since) {
		return nil, fmt.Errorf("call stats: need a positive step and since before until")
	}
	from, width := since.UnixMilli(), step.Milliseconds()
	n := int((until.UnixMilli() - from + width - 1) / width)
	out := make([]CallBucket, n)
	for i := range out {
		out[i].Start = ms(from + int64(i)*width)
	}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT (created_at - ?) / ?, COUNT(*),
		SUM(CASE WHEN status >= 400 OR status = 0 OR error <> '' THEN 1 ELSE 0 END)
		FROM call_logs WHERE org_id = ? AND integration_id = ? AND created_at >= ? AND created_at < ?
		GROUP BY (created_at - ?) / ?`), from, width, orgID, integrationID, from, until.UnixMilli(), from, width)
	if err != nil {
		return nil, fmt.Errorf("call stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, calls, errs int64
		if err := rows.Scan(&b, &calls, &errs); err != nil {
			return nil, err
		}
		if b >= 0 && int(b) < n {
			out[b].Calls, out[b].Errors = int(calls), int(errs)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.callPercentiles(ctx, out, orgID, integrationID, from, until.UnixMilli(), width); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) callPercentiles(ctx context.Context, out []CallBucket, orgID, integrationID string, from, until, width int64) error {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT (created_at - ?) / ?, duration_ms FROM call_logs
		WHERE org_id = ? AND integration_id = ? AND created_at >= ? AND created_at < ? AND status > 0`),
		from, width, orgID, integrationID, from, until)
	if err != nil {
		return fmt.Errorf("call latencies: %w", err)
	}
	defer rows.Close()
	durations := make([][]float64, len(out))
	for rows.Next() {
		var b int64
		var d float64
		if err := rows.Scan(&b, &d); err != nil {
			return err
		}
		if b >= 0 && int(b) < len(out) {
			durations[b] = append(durations[b], d)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, ds := range durations {
		if len(ds) == 0 {
			continue
		}
		slices.Sort(ds)
		out[i].P50MS, out[i].P95MS = percentile(ds, 0.50), percentile(ds, 0.95)
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
