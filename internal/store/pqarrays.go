package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lib/pq"
)

// The job queue's database/sql driver hands its arrays to the database as
// lib/pq values (pq.Array): a batch job's insert has twelve of them. pgx
// knows such a value only as a driver.Valuer, so for each it had lib/pq
// write the array as text, tried that text as the column's binary form,
// failed, parsed the text back into values and wrote those: 250 µs of a
// node's CPU per batch job on PostgreSQL, as much as the rest of the
// batch's intake transaction. unwrapPQArray lets pgx write the slice
// inside instead, as it writes the store's own arrays. A slice whose
// elements pgx cannot write for the column (an enum's named strings, an
// unregistered type) finds no plan that way and goes the old way.

// withPQArrays makes every connection of the pool write lib/pq's arrays
// directly.
func withPQArrays(cfg *pgxpool.Config) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		m := c.TypeMap()
		m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{unwrapPQArray}, m.TryWrapEncodePlanFuncs...)
		if after != nil {
			return after(ctx, c)
		}
		return nil
	}
}

// unwrapPQArray is a pgx encode-plan wrapper: the slice inside a lib/pq
// array, for pgx to plan as it would the slice itself.
func unwrapPQArray(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	if s, ok := pqSlice(value); ok {
		return &pqArrayPlan{}, s, true
	}
	return nil, nil, false
}

// pqSlice is the slice a lib/pq array holds, when its elements are of a
// type pgx writes for the column by itself. A nil array is a nil slice,
// which pgx writes as NULL.
func pqSlice(value any) (any, bool) {
	switch v := value.(type) {
	case *pq.StringArray:
		return []string(deref(v)), true
	case *pq.Int64Array:
		return []int64(deref(v)), true
	case *pq.Int32Array:
		return []int32(deref(v)), true
	case *pq.ByteaArray:
		return emptyNotNull(deref(v)), true
	case *pq.BoolArray:
		return []bool(deref(v)), true
	case *pq.Float64Array:
		return []float64(deref(v)), true
	case pq.GenericArray:
		switch a := v.A.(type) {
		case []int16, []time.Time:
			return a, true
		}
	}
	return nil, false
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

type pqArrayPlan struct{ next pgtype.EncodePlan }

func (p *pqArrayPlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *pqArrayPlan) Encode(value any, buf []byte) ([]byte, error) {
	s, ok := pqSlice(value)
	if !ok {
		return nil, fmt.Errorf("store: %T is not a lib/pq array this plan writes", value)
	}
	return p.next.Encode(s, buf)
}

// emptyNotNull gives a nil element as empty, as lib/pq writes it (pgx
// would write NULL).
func emptyNotNull(a [][]byte) [][]byte {
	for i, b := range a {
		if b == nil {
			out := make([][]byte, len(a))
			copy(out, a)
			for j := i; j < len(out); j++ {
				if out[j] == nil {
					out[j] = []byte{}
				}
			}
			return out
		}
	}
	return a
}
