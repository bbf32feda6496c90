package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
)

// SQLite compiles every statement it runs. The store prepares its own
// queries once (see stmts), but the job queue's driver sends its SQL as
// text, so each job fetch, completion and insert paid for parsing and
// planning again: a quarter of the CPU of a triggered run under load. The
// write connection therefore keeps the statements it compiled, by their
// text, and runs a repeat of the same text on the compiled statement.

// stmtCacheSize bounds the compiled statements one connection keeps; the
// least recently used go first. The queue and the store together send a
// few dozen distinct texts.
const stmtCacheSize = 256

// cachingConnector opens connections of a database/sql driver that keep
// their compiled statements.
type cachingConnector struct {
	dsn string
	drv driver.Driver
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: the SQLite driver's connection lacks the context methods the statement cache needs")
	}
	return &cachingConn{sqliteConn: inner, byText: map[string]*list.Element{}, order: list.New()}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// sqliteConn is what the SQLite driver's connection offers and the cache
// passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.SessionResetter
	driver.Validator
	driver.Pinger
}

// cachingConn is one connection with its compiled statements. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	sqliteConn
	byText map[string]*list.Element // → *cached
	order  *list.List               // most recently used first
}

type cached struct {
	text string
	stmt driver.Stmt
	busy bool // its rows are open: a nested use of the same text gets a statement of its own
}

// Unwrap returns the driver's own connection, for features of the driver
// (the online backup API) that database/sql does not expose.
func (c *cachingConn) Unwrap() driver.Conn { return c.sqliteConn }

// take returns the compiled statement for text, compiling it on first use,
// or nil when the cached one is in use.
func (c *cachingConn) take(ctx context.Context, text string) (*cached, error) {
	if e, ok := c.byText[text]; ok {
		s := e.Value.(*cached)
		if s.busy {
			return nil, nil
		}
		c.order.MoveToFront(e)
		return s, nil
	}
	stmt, err := c.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	s := &cached{text: text, stmt: stmt}
	c.byText[text] = c.order.PushFront(s)
	for e := c.order.Back(); c.order.Len() > stmtCacheSize && e != nil; {
		prev := e.Prev()
		if old := e.Value.(*cached); !old.busy {
			c.order.Remove(e)
			delete(c.byText, old.text)
			_ = old.stmt.Close()
		}
		e = prev
	}
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.take(ctx, text)
	if err != nil || s == nil {
		if err == nil {
			return c.sqliteConn.ExecContext(ctx, text, args)
		}
		return nil, err
	}
	s.busy = true
	defer func() { s.busy = false }()
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, text string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.take(ctx, text)
	if err != nil || s == nil {
		if err == nil {
			return c.sqliteConn.QueryContext(ctx, text, args)
		}
		return nil, err
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

// Close finalizes the compiled statements, then closes the connection.
func (c *cachingConn) Close() error {
	for e := c.order.Front(); e != nil; e = e.Next() {
		_ = e.Value.(*cached).stmt.Close()
	}
	c.byText, c.order = nil, list.New()
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	driver.Rows
	s *cached
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}

// The column type methods pass through, for callers that ask for column
// types.
type columnTyper interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.Rows.(columnTyper).ColumnTypeDatabaseTypeName(i)
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	return r.Rows.(columnTyper).ColumnTypeLength(i)
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.Rows.(columnTyper).ColumnTypeNullable(i)
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.Rows.(columnTyper).ColumnTypePrecisionScale(i)
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	return r.Rows.(columnTyper).ColumnTypeScanType(i)
}
