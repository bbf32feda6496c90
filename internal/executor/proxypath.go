package executor

import (
	"errors"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/problem"
)

// proxyTarget joins base and a path to forward under it, given
// percent-encoded as the caller sent it, and keeps that encoding: the API
// receives the path as sent. A path that could climb out of the base URL
// (see connector.CheckSegments) is refused with a problem that says why.
func proxyTarget(base, escaped string) (*url.URL, error) {
	if strings.ContainsAny(escaped, "?#") {
		return nil, problem.BadRequest("proxy path %q must not contain '?' or '#'; send the query string as the request's own", escaped)
	}
	if _, err := url.PathUnescape(escaped); err != nil {
		return nil, problem.BadRequest("proxy path %q is not valid percent-encoding: write '%%' as %%25", escaped)
	}
	switch err := connector.CheckSegments(escaped); {
	case errors.Is(err, connector.ErrDotSegment):
		return nil, problem.BadRequest(`proxy path %q has a dot segment ("." or "..") once percent-decoded, which could reach outside the base URL; send the path the API should receive, without dot segments`, escaped)
	case err != nil:
		return nil, problem.BadRequest("proxy path %q %v; send it encoded once", escaped, err)
	}
	target, err := url.Parse(strings.TrimRight(base, "/") + "/" + strings.TrimLeft(escaped, "/"))
	if err != nil {
		return nil, problem.BadRequest("proxy path %q: %v", escaped, err)
	}
	return target, nil
}
