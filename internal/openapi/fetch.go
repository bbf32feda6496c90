package openapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// DefaultMaxDocumentBytes is the size limit Fetch applies when given none.
// Large public descriptions (GitHub's is about 13 MB) fit under it.
const DefaultMaxDocumentBytes = 32 << 20

// Fetch downloads an API description from an http or https URL with the
// given client, which should be one that applies the SSRF guard: the URL
// comes from a user. A document larger than maxBytes (or than
// DefaultMaxDocumentBytes when maxBytes is not positive) is an error rather
// than being cut short, since half a document would import as a broken one.
func Fetch(ctx context.Context, client *http.Client, rawURL string, maxBytes int64) ([]byte, error) {
	if client == nil {
		return nil, errors.New("fetch openapi document: no HTTP client given")
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxDocumentBytes
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch openapi document: invalid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch openapi document: %q is not an http or https URL", rawURL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch openapi document: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch openapi document: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetch openapi document: %s answered %s", u.Redacted(), resp.Status)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("fetch openapi document: it is %d bytes, over the limit of %d", resp.ContentLength, maxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch openapi document: read body: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("fetch openapi document: it is over the limit of %d bytes", maxBytes)
	}
	return data, nil
}
