package authserver

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/connectedapp"
)

// registration is the answer to a registration (RFC 7591 section 3.2.1).
type registration struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

// registerClient is the dynamic client registration endpoint, for clients
// that do not publish a metadata document.
func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "register with POST and a JSON body of client metadata")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeOAuthError(w, http.StatusBadRequest, connectedapp.InvalidClientMeta, "send the client metadata as application/json")
		return
	}
	var in connectedapp.Registration
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil {
		writeOAuthError(w, http.StatusBadRequest, connectedapp.InvalidClientMeta, "the body is not a JSON object of client metadata")
		return
	}
	ip := clientip.Peer(r)
	if s.cfg.Clients != nil {
		ip = s.cfg.Clients.Addr(r)
	}
	reg, err := s.cfg.Apps.Register(r.Context(), in, ip.String())
	var refusal *connectedapp.Error
	if errors.As(err, &refusal) {
		writeOAuthError(w, http.StatusBadRequest, refusal.Code, refusal.Description)
		return
	}
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "register OAuth client", "error", err)
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "the client could not be registered; try again")
		return
	}
	c := reg.Client
	out := registration{
		ClientID: c.ID, ClientSecret: reg.Secret, ClientIDIssuedAt: c.CreatedAt.Unix(), ClientName: c.Name, ClientURI: c.URI,
		RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes, ResponseTypes: []string{"code"}, TokenEndpointAuthMethod: c.AuthMethod,
	}
	if reg.Secret != "" {
		never := int64(0)
		out.ClientSecretExpiresAt = &never
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(out)
}

func writeOAuthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
