package openapi

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// baseURL picks the integration's base URL: the override when given, else
// the chosen server with its variables set to their defaults. Only an
// absolute http(s) URL will do, since actions are called from the server
// and not from wherever the document was published.
func baseURL(spec *openapi3.T, opts Options) (string, error) {
	if opts.ServerURL != "" {
		u, err := absoluteURL(opts.ServerURL)
		if err != nil {
			return "", fmt.Errorf("ServerURL: %w", err)
		}
		return u, nil
	}
	if len(spec.Servers) == 0 {
		return "", errors.New("the document declares no server; set ServerURL to the API's base URL")
	}
	if opts.ServerIndex >= len(spec.Servers) {
		return "", fmt.Errorf("ServerIndex %d is out of range: the document declares %d server(s)", opts.ServerIndex, len(spec.Servers))
	}
	server := spec.Servers[opts.ServerIndex]
	if server == nil {
		return "", fmt.Errorf("server %d is empty; set ServerURL", opts.ServerIndex)
	}
	raw, err := expandServerURL(server)
	if err != nil {
		return "", err
	}
	u, err := absoluteURL(raw)
	if err != nil {
		return "", fmt.Errorf("server URL %q: %w; set ServerURL to the API's absolute base URL", raw, err)
	}
	return u, nil
}

// expandServerURL replaces each {variable} with its default value. A
// variable without a default, or an undeclared one, is an error rather than
// a guess.
func expandServerURL(server *openapi3.Server) (string, error) {
	raw := server.URL
	var missing []string
	for {
		open := strings.IndexByte(raw, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(raw[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("server URL %q has an unclosed {", server.URL)
		}
		name := raw[open+1 : open+end]
		v, ok := server.Variables[name]
		if !ok || v == nil || v.Default == "" {
			missing = append(missing, name)
			raw = raw[:open] + raw[open+end+1:]
			continue
		}
		raw = raw[:open] + v.Default + raw[open+end+1:]
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return "", fmt.Errorf("server URL %q uses variables without a default value (%s); set ServerURL", server.URL, strings.Join(missing, ", "))
	}
	return raw, nil
}

func absoluteURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	if !u.IsAbs() || u.Host == "" {
		return "", errors.New("it is relative, and the API's host cannot be known from the document alone")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	// Endpoints start with "/", so a trailing one would double it.
	return strings.TrimRight(u.String(), "/"), nil
}
