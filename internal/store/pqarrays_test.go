package store_test

import (
	"context"
	"database/sql/driver"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/storetest"
)

// The job queue's driver sends its arrays as lib/pq values, which the store
// has pgx write as the slices they hold. Each must reach the database as
// the same array lib/pq's own text gives it: what River reads back (a
// job's arguments, times, unique key) depends on it.
func TestLibPQArraysReachPostgreSQLAsLibPQWritesThem(t *testing.T) {
	t.Parallel()
	s := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 8, 30, 15, 123456000, time.FixedZone("east", 5*3600))
	type state string // an enum's values, as River's job states are
	cases := []struct {
		name, column string
		value        interface {
			driver.Valuer
		}
	}{
		{"job args as jsonb", "jsonb[]", pq.Array([]string{`{"run_ids":["run_1","run_2"]}`, `{}`, `"a \"quoted\" string"`, `[1,2.5,null]`})},
		{"text", "text[]", pq.Array([]string{"plain", "", "with,comma", `with "quotes" and \ backslash`, "NULL", "ünïcode", "{braces}"})},
		{"text none", "text[]", pq.Array([]string{})},
		{"text null", "text[]", pq.Array([]string(nil))},
		{"times", "timestamptz[]", pq.Array([]time.Time{at, at.UTC().Add(-time.Hour), time.Unix(0, 0)})},
		{"smallint", "smallint[]", pq.Array([]int16{1, -1, 32767, 0})},
		{"integer", "integer[]", pq.Array([]int32{0, 7, -2147483648})},
		{"bigint", "bigint[]", pq.Array([]int64{0, 1 << 40, -5})},
		{"bytea", "bytea[]", pq.Array([][]byte{nil, {}, {0, 1, 0xff, '"', '\\'}, []byte("key")})},
		{"bool", "boolean[]", pq.Array([]bool{true, false})},
		{"float", "double precision[]", pq.Array([]float64{0.5, -1e300, 3})},
		{"named strings as text", "text[]", pq.Array([]state{"available", "running"})},
	}
	for _, c := range cases {
		want, err := c.value.Value()
		if err != nil {
			t.Fatalf("%s: lib/pq: %v", c.name, err)
		}
		var got, wantText *string
		var same bool
		err = s.DB().QueryRowContext(ctx, `SELECT $1::`+c.column+`::text, $2::text::`+c.column+`::text, $1::`+c.column+` IS NOT DISTINCT FROM $2::text::`+c.column,
			c.value, want).Scan(&got, &wantText, &same)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !same {
			t.Errorf("%s: stored %s, lib/pq's text gives %s", c.name, deref(got), deref(wantText))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
