package connectedapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/netguard"
	"github.com/plugboard/plugboard/internal/store"
)

// maxDocumentBytes bounds a client ID metadata document; real ones are a
// few hundred bytes.
const maxDocumentBytes = 64 << 10

// IsDocumentID reports whether a client_id is the URL of a client ID
// metadata document: https, with a path, and nothing a client ID URL must
// not carry (a fragment, credentials, dot segments).
func IsDocumentID(clientID string) bool {
	if !strings.HasPrefix(clientID, "https://") || len(clientID) > 2000 {
		return false
	}
	u, err := url.Parse(clientID)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(clientID, "#") {
		return false
	}
	if u.Path == "" || u.Path == "/" {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// document is what a client ID metadata document holds, of what Plugboard
// uses.
type document struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	ClientSecret            string   `json:"client_secret"`
}

// documentClient reads the metadata document at clientID, unless a copy
// read a few minutes ago is at hand, checks it and stores what it says.
func (s *Service) documentClient(ctx context.Context, clientID string) (store.AppClient, error) {
	cached, err := s.cfg.Store.GetAppClient(ctx, clientID)
	switch {
	case err == nil && cached.Kind == store.ClientDocument && s.now().Sub(cached.FetchedAt) < documentTTL:
		return cached, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return store.AppClient{}, err
	}
	doc, err := s.fetchDocument(ctx, clientID)
	if err != nil {
		return store.AppClient{}, err
	}
	if doc.ClientID != clientID {
		return store.AppClient{}, docError(clientID, fmt.Sprintf("its client_id is %q, not the URL it is served at", doc.ClientID))
	}
	if doc.ClientSecret != "" {
		return store.AppClient{}, docError(clientID, "it contains a client_secret, which a public document must not")
	}
	if m := doc.TokenEndpointAuthMethod; m != "" && m != AuthNone {
		return store.AppClient{}, docError(clientID, fmt.Sprintf("its token_endpoint_auth_method is %q; a client known by a metadata document uses none, with PKCE", m))
	}
	c := store.AppClient{ID: clientID, Kind: store.ClientDocument, AuthMethod: AuthNone, CreatedAt: s.now(), FetchedAt: s.now()}
	if err == nil && !cached.CreatedAt.IsZero() {
		c.CreatedAt = cached.CreatedAt
	}
	if err := describe(&c, doc.ClientName, doc.ClientURI, doc.RedirectURIs, doc.GrantTypes, doc.ResponseTypes); err != nil {
		var oe *Error
		if errors.As(err, &oe) {
			return store.AppClient{}, docError(clientID, oe.Description)
		}
		return store.AppClient{}, err
	}
	if err := s.cfg.Store.PutAppClient(ctx, c); err != nil {
		return store.AppClient{}, err
	}
	return c, nil
}

// fetchDocument reads a metadata document through the outbound client:
// its guard refuses private and loopback addresses unless the operator
// allows private networks, and no redirect is followed.
func (s *Service) fetchDocument(ctx context.Context, clientID string) (*document, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, clientID, nil)
	if err != nil {
		return nil, docError(clientID, "it is not a valid URL")
	}
	req.Header.Set("Accept", "application/json")
	res, err := s.cfg.Fetch.Do(req)
	if err != nil {
		s.cfg.Logger.InfoContext(ctx, "client metadata document unreadable", "client", clientID, "error", err)
		var blocked *netguard.BlockedError
		if errors.As(err, &blocked) {
			return nil, docError(clientID, fmt.Sprintf("it is on a %s (%s), which this server does not call; an operator can allow private networks with PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true", blocked.Reason, blocked.IP))
		}
		return nil, docError(clientID, "it could not be fetched; check that the URL serves the document over https")
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, docError(clientID, fmt.Sprintf("fetching it answered HTTP %d, not 200 (redirects are not followed)", res.StatusCode))
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		return nil, docError(clientID, fmt.Sprintf("it is served as %q, not application/json", res.Header.Get("Content-Type")))
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, docError(clientID, "it could not be read to the end")
	}
	if len(body) > maxDocumentBytes {
		return nil, docError(clientID, fmt.Sprintf("it is larger than %d KiB", maxDocumentBytes>>10))
	}
	var doc document
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, docError(clientID, "it is not a JSON object of client metadata")
	}
	return &doc, nil
}

func docError(clientID, why string) *Error {
	return oauthError(InvalidClient, fmt.Sprintf("the client's metadata document at %s cannot be used: %s", clientID, why))
}
