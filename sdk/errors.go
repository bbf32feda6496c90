package sdk

import (
	"fmt"
	"net/http"
)

// Error is an action failure with the HTTP status the caller should see
// (4xx when the input is at fault). Any other error an action returns
// reaches the caller as 502 Bad Gateway with its message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with status and a formatted message.
func Errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// HTTPError is what the Call helpers return for a response outside 2xx.
type HTTPError struct {
	Method, URL string
	Status      int
	Body        []byte // the first 64 KB
}

func (e *HTTPError) Error() string {
	body := string(e.Body)
	if len(body) > 200 {
		body = body[:200] + "…"
	}
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), body)
}

// ServerError is the server refusing to send an action's request (an
// address outside the base URL, a missing connection, a closed
// invocation); Detail says why.
type ServerError struct {
	Status int
	Detail string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("plugboard: %d %s: %s", e.Status, http.StatusText(e.Status), e.Detail)
}
