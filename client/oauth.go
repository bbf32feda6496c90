package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// GetConnection loads one connection (never its secrets).
func (c *Client) GetConnection(ctx context.Context, integrationID, connectionID string) (*Connection, error) {
	var out Connection
	return &out, c.Do(ctx, "GET", path("/v1/integrations/%s/connections/%s", integrationID, connectionID), nil, &out)
}

// AuthorizeURL starts the OAuth 2.0 authorization code flow of a
// connection and returns the provider URL the user must open; the server
// answers with a redirect, which is not followed.
func (c *Client) AuthorizeURL(ctx context.Context, integrationID, connectionID string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path("/v1/integrations/%s/connections/%s/authorize", integrationID, connectionID), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := *c.HTTP
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther {
		if loc := resp.Header.Get("Location"); loc != "" {
			return loc, nil
		}
		return "", errors.New("the server redirected without a Location")
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &Error{Status: resp.StatusCode}
	if json.Unmarshal(data, e) != nil || (e.Detail == "" && e.Title == "") {
		e.Title = http.StatusText(resp.StatusCode)
		e.Detail = strings.TrimSpace(string(data))
	}
	e.Status = resp.StatusCode
	if e.Status < 300 {
		return "", fmt.Errorf("expected a redirect to the provider, got HTTP %d", e.Status)
	}
	return "", e
}
