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
	P95MS  float64 // latency percentiles of the calls that got an answer
}

// CallStats buckets an integration's calls in [since, until) into slots of
// width step. The database assigns each call its bucket; counts and the
// latency percentiles are computed here in one pass over the rows, since
// SQLite has no percentile function and one query serves both engines.
// Every bucket of the range is returned, empty ones included, oldest first.
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
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT (created_at - ?) / ?, status, CASE WHEN error <> '' THEN 1 ELSE 0 END, duration_ms
		FROM call_logs WHERE org_id = ? AND integration_id = ? AND created_at >= ? AND created_at < ?`),
		from, width, orgID, integrationID, from, until.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("call stats: %w", err)
	}
	defer rows.Close()
	durations := make([][]float64, n)
	for rows.Next() {
		var b int64
		var status, failed int
		var d float64
		if err := rows.Scan(&b, &status, &failed, &d); err != nil {
			return nil, err
		}
		if b < 0 || int(b) >= n {
			continue
		}
		out[b].Calls++
		if status >= 400 || status == 0 || failed == 1 {
			out[b].Errors++
		}
		if status > 0 {
			durations[b] = append(durations[b], d)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, ds := range durations {
		if len(ds) > 0 {
			slices.Sort(ds)
			out[i].P50MS, out[i].P95MS = percentile(ds, 0.50), percentile(ds, 0.95)
		}
	}
	return out, nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	rank := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
