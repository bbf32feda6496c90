package mcp

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
	"github.com/plugboard/plugboard/internal/approval"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/connectedapp"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/version"
)

// Config wires a Server.
type Config struct {
	Store    *store.Store
	Accounts *account.Service // resolves agent keys, locking out guessers
	Catalog  *agent.Catalog   // the tools each agent's grants make
	Search   *agent.Search    // finds tools for agents with too many to list; nil lists every tool
	Actions  *action.Service  // runs the calls
	Logger   *slog.Logger
	// Clients finds an agent's address behind trusted proxies. Defaults to
	// the connection's peer.
	Clients *clientip.Resolver

	// Version is the server version reported to clients. Defaults to the
	// build's version.
	Version string

	// SessionTimeout closes sessions idle this long (no request). Defaults
	// to 10 minutes.
	SessionTimeout time.Duration

	// MaxSessionsPerAgent caps an agent's open sessions on this node: each
	// holds memory and a goroutine until it ends, so opening one more
	// closes the agent's oldest. Defaults to 16.
	MaxSessionsPerAgent int

	// Metrics receives the count of open sessions. Optional.
	Metrics *metrics.Metrics

	// MaxRequestBytes caps a request body. Defaults to 10 MiB, the payload
	// limit of an action call.
	MaxRequestBytes int64

	// Apps verifies the access tokens of connected apps (MCP clients a
	// person signed in with OAuth). Optional: without it, agent keys only.
	Apps *connectedapp.Verifier
	// PublicURL is the server's public URL, from which /mcp's resource
	// identifier and metadata URL derive.
	PublicURL string

	// Approvals reads the approvals calls wait for.
	Approvals *approval.Service
	// ApprovalWait is how long a call waits for a decision once the
	// client has shown the person the approval page. Defaults to 60s.
	ApprovalWait time.Duration
}

// WithDefaults returns a copy of c with unset fields given their defaults.
func (c Config) WithDefaults() Config {
	if c.ApprovalWait <= 0 {
		c.ApprovalWait = time.Minute
	}
	if c.Version == "" {
		c.Version = version.String
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = 10 * time.Minute
	}
	if c.MaxSessionsPerAgent == 0 {
		c.MaxSessionsPerAgent = 16
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = 10 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server is the MCP endpoint agents connect to. It is safe for concurrent
// use.
type Server struct {
	cfg Config
	// sessions serves the revisions with sessions, stateless the ones
	// without; route picks one for each request.
	sessions, stateless http.Handler
	handler             http.Handler
	// probe answers the SDK's per-request protocol version check for
	// requests of existing sessions; it never serves a session.
	probe *sdk.Server

	mu     sync.Mutex
	live   map[string]map[*session]struct{} // org id → initialized sessions
	open   map[string][]*session            // agent id → open sessions, oldest first
	agents map[string]*agentServer          // agent id → its server for stateless requests

	agentIdle time.Duration // see agentIdle

	sessionSeq atomic.Uint64

	node string // this node's id in change announcements
}

// New returns the MCP server.
func New(cfg Config) *Server {
	cfg = cfg.WithDefaults()
	s := &Server{cfg: cfg, live: map[string]map[*session]struct{}{}, open: map[string][]*session{}, agents: map[string]*agentServer{}, agentIdle: agentIdle, node: rand.Text()}
	if cfg.Store != nil {
		cfg.Store.Subscribe(changesChannel, s.relay)
	}
	s.probe = sdk.NewServer(s.implementation(), nil)
	opts := sdk.StreamableHTTPOptions{
		SessionTimeout:      cfg.SessionTimeout,
		MaxRequestBodyBytes: cfg.MaxRequestBytes,
		Logger:              cfg.Logger,
		// The SDK's DNS-rebinding guard refuses loopback connections whose
		// Host is not loopback, which is every reverse proxy on the same
		// machine that keeps the public Host, and does nothing for a server
		// on a public address. The server mounts this handler behind its
		// own guard instead, which knows the public host from
		// PLUGBOARD_PUBLIC_URL and allows loopback names only on a loopback
		// listener (internal/server, hostGuard).
		DisableLocalhostProtection: true,
	}
	s.sessions = sdk.NewStreamableHTTPHandler(s.serverFor, &opts)
	stateless := opts
	stateless.Stateless = true
	s.stateless = sdk.NewStreamableHTTPHandler(s.agentServerFor, &stateless)
	verified := auth.RequireBearerToken(verified, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})
	s.handler = s.authenticate(verified(http.HandlerFunc(s.route)))
	return s
}

// Handler serves MCP over streamable HTTP; mount it at /mcp.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) implementation() *sdk.Implementation {
	return &sdk.Implementation{Name: "plugboard", Title: "Plugboard", Version: s.cfg.Version}
}

// listTTL is how long a client may keep an agent's tool list before it
// lists again; it hears of changes sooner on subscriptions/listen.
const listTTL = time.Minute

// serverOptions are the options of every SDK server, with or without
// sessions.
func (s *Server) serverOptions() *sdk.ServerOptions {
	return &sdk.ServerOptions{
		Instructions: "Each tool calls an action of an API connected to Plugboard. Tool names are <integration>__<action>. " +
			"Pass _meta.idempotency_key on a call to make a retry of it safe: a repeat within 24 hours returns the first result.",
		Logger: s.cfg.Logger,
		// Advertise tools (and their list_changed notifications) even to an
		// agent that has none yet.
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{ListChanged: true}},
		// A tool list is the agent's own: only its client may keep it.
		SetCacheable: func(_ context.Context, req sdk.Request, c *sdk.Cacheable) {
			if _, ok := req.(*sdk.ListToolsRequest); ok {
				c.TTLMs, c.CacheScope = int(listTTL.Milliseconds()), "private"
			}
		},
	}
}

// authenticate resolves the agent key on every request, so that a revoked
// or rotated key is refused on its next use, and answers a missing,
// unknown or guessed-too-often key itself: the SDK's middleware knows no
// 429.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields := strings.Fields(r.Header.Get("Authorization"))
		if len(fields) != 2 || !strings.EqualFold(fields[0], "bearer") {
			s.challenge(w, "", problem.New(http.StatusUnauthorized, "sign in with OAuth, or send an agent's key as 'Authorization: Bearer <agent key>'"))
			return
		}
		// The agent id becomes the token's user, which the SDK uses to keep
		// one agent out of another's sessions.
		ti, err := s.bearer(r, fields[1])
		if err != nil {
			p, ok := problem.As(err)
			if !ok {
				s.cfg.Logger.ErrorContext(r.Context(), "resolve agent key", "error", err)
				p = problem.New(http.StatusServiceUnavailable, "could not check the agent key; try again")
			}
			if p.Status == http.StatusUnauthorized {
				s.challenge(w, "invalid_token", p)
				return
			}
			problem.Write(w, p)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, ti)))
	})
}

type tokenKey struct{}

// verified hands the SDK the agent that authenticate resolved.
func verified(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
	if ti, ok := ctx.Value(tokenKey{}).(*auth.TokenInfo); ok {
		return ti, nil
	}
	return nil, auth.ErrInvalidToken
}

// agentOf returns the agent the request was verified as.
func agentOf(ti *auth.TokenInfo) (store.Agent, bool) {
	if ti == nil {
		return store.Agent{}, false
	}
	a, ok := ti.Extra["agent"].(store.Agent)
	return a, ok
}

// ToolsChanged brings the connected sessions of an organization up to date
// after its integrations or agents changed, on this node and, through
// PostgreSQL, on the others (announced with NOTIFY); sessions whose
// tools changed receive notifications/tools/list_changed. Sessions of a
// revoked agent are closed. It returns at once and works in the
// background.
func (s *Server) ToolsChanged(ctx context.Context, orgID string) {
	s.refresh(ctx, orgID)
	s.announce(ctx, orgID)
}

// refresh is ToolsChanged for this node's sessions only.
func (s *Server) refresh(ctx context.Context, orgID string) {
	s.mu.Lock()
	var sets []*toolSet
	for sess := range s.live[orgID] {
		sets = append(sets, sess.toolSet)
	}
	for _, as := range s.agents {
		if as.orgID == orgID {
			sets = append(sets, as.toolSet)
		}
	}
	s.mu.Unlock()
	if len(sets) == 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, ts := range sets {
			ag, err := s.cfg.Store.GetAgent(ctx, orgID, ts.agentID)
			if err == nil && !ag.RevokedAt.IsZero() {
				err = store.ErrNotFound
			}
			if errors.Is(err, store.ErrNotFound) {
				ts.close()
				continue
			}
			if err == nil {
				err = s.sync(ctx, ts, ag)
			}
			if err != nil {
				s.cfg.Logger.WarnContext(ctx, "update an agent's MCP tools", "agent", ts.agentID, "error", err)
			}
		}
	}()
}

// Close ends every open session and subscriptions/listen request, so that
// their event streams do not hold up a graceful shutdown.
func (s *Server) Close() {
	s.mu.Lock()
	var sets []*toolSet
	for _, sessions := range s.open {
		for _, sess := range sessions {
			sets = append(sets, sess.toolSet)
		}
	}
	for _, as := range s.agents {
		sets = append(sets, as.toolSet)
	}
	s.mu.Unlock()
	for _, ts := range sets {
		ts.close()
	}
}
