// Package problem is the one error shape Plugboard shows to people and
// programs: RFC 9457 problem details whose detail says what to fix.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// FieldError names one bad input and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an HTTP status paired with a message that is safe to show.
// Anything internal stays in the wrapped cause, which is logged, not sent.
type Error struct {
	Status     int           `json:"status"`
	Title      string        `json:"title"`
	Detail     string        `json:"detail,omitempty"`
	Errors     []FieldError  `json:"errors,omitempty"`
	RetryAfter time.Duration `json:"-"`
	Cause      error         `json:"-"`
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return e.Title
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns a problem with the status's standard title.
func New(status int, format string, args ...any) *Error {
	return &Error{Status: status, Title: http.StatusText(status), Detail: fmt.Sprintf(format, args...)}
}

// BadRequest, NotFound and friends are shorthands for the common statuses.
func BadRequest(format string, args ...any) *Error {
	return New(http.StatusBadRequest, format, args...)
}

// NotFound reports a missing object without telling whether it exists elsewhere.
func NotFound(format string, args ...any) *Error { return New(http.StatusNotFound, format, args...) }

// Conflict reports a state clash the caller can resolve.
func Conflict(format string, args ...any) *Error { return New(http.StatusConflict, format, args...) }

// Forbidden reports a known caller lacking a right.
func Forbidden(format string, args ...any) *Error { return New(http.StatusForbidden, format, args...) }

// Invalid is a 400 (or 422) listing every bad field.
func Invalid(detail string, errs []FieldError) *Error {
	return &Error{Status: http.StatusBadRequest, Title: "Invalid input", Detail: detail, Errors: errs}
}

// As extracts a problem from err, or reports false.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// Write sends p as application/problem+json.
func Write(w http.ResponseWriter, p *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		secs := int((p.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	w.WriteHeader(p.Status)
	body := struct {
		Type string `json:"type"`
		*Error
	}{"about:blank", p}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // details quote <placeholders> and URLs; keep them readable
	_ = enc.Encode(body)
}
