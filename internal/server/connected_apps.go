package server

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/mcp"
	"github.com/plugboard/plugboard/internal/outbound"
)

// connectedApps builds the service behind OAuth sign-in for MCP clients.
// Client metadata documents are read through an outbound client of their
// own: the same guard (no private addresses unless allowed), a small body
// cap, and no redirects.
func (s *Server) connectedApps(cfg config.Config, rules *access.Rules, agents *agent.Service, limits limit.Limiters, roots *x509.CertPool, logger *slog.Logger) (*connectedapp.Service, error) {
	documents, err := outbound.New(outbound.Config{
		Timeout: 10 * time.Second, AllowPrivate: cfg.AllowPrivateNetworks, MaxResponseBytes: 64 << 10, MaxRedirects: -1,
		RootCAs: roots, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	return connectedapp.New(connectedapp.Config{
		Store: s.Store, Rules: rules, Agents: agents, Tools: s.mcp, Vault: s.Vault, Fetch: documents.HTTPClient(), Rate: limits.Rate,
		Issuer: cfg.PublicURL, Resources: mcp.Resources(cfg.PublicURL), AccessTTL: cfg.MCPTokenLifetime, Logger: logger,
	}), nil
}

// rootCAs is the system's certificate authorities plus those of file, or
// nil (the system's alone) without a file.
func rootCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca-file %s: no PEM certificate in it", file)
	}
	return pool, nil
}
