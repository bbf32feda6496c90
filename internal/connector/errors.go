package connector

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with a definition or with action parameters.
type FieldError struct {
	// Field is a JSON path to the offending value, like
	// "actions[1].endpoint" or "params.email".
	Field string `json:"field"`
	// Message says what is wrong and how to fix it.
	Message string `json:"message"`
}

// Error renders the error as "field: message".
func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// ValidationError lists every problem found, so an author can fix them all
// in one go rather than one per round trip.
type ValidationError struct {
	Errors []FieldError `json:"errors"`
}

// Error joins the field errors with "; ".
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "; ")
}

// ErrNoAccessToken is returned by [Auth.Apply] for OAuth 2.0 when the
// connection has not been authorized yet, so callers can start the flow or
// refresh instead of sending an unauthenticated request.
var ErrNoAccessToken = errors.New("oauth2 connection has no access token yet; authorize the connection first")

// problems collects field errors while walking a definition.
type problems struct {
	list []FieldError
	// misspelled holds the paths of fields an unknown key was probably
	// meant to be, so they are not also reported as missing.
	misspelled []string
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was collected, and a *ValidationError
// otherwise; it never returns a typed nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &ValidationError{Errors: p.list}
}

// join appends a JSON path element to a path.
func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

// index appends an array index to a path.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
