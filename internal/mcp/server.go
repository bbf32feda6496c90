package mcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plugboard/plugboard/internal/account"
	"github.com/plugboard/plugboard/internal/action"
	"github.com/plugboard/plugboard/internal/agent"
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
}

// WithDefaults returns a copy of c with unset fields given their defaults.
func (c Config) WithDefaults() Config {
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
	cfg     Config
	handler http.Handler
	// probe answers the SDK's per-request protocol version check for
	// requests of existing sessions; it never serves a session.
	probe *sdk.Server

	mu   sync.Mutex
	live map[string]map[*session]struct{} // org id → initialized sessions
	open map[string][]*session            // agent id → open sessions, oldest first

	node string // this node's id in change announcements
}

// session is one agent's MCP session, served by an SDK server of its own
// whose tools are the agent's.
type session struct {
	srv     *sdk.Server
	agentID string
	orgID   string
	ended   bool // guarded by Server.mu

	mu    sync.Mutex
	tools map[string]string // name → Tool.version of the registered copy
}

// New returns the MCP server.
func New(cfg Config) *Server {
	cfg = cfg.WithDefaults()
	s := &Server{cfg: cfg, live: map[string]map[*session]struct{}{}, open: map[string][]*session{}, node: rand.Text()}
	s.probe = sdk.NewServer(s.implementation(), nil)
	streamable := sdk.NewStreamableHTTPHandler(s.serverFor, &sdk.StreamableHTTPOptions{
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
	})
	verified := auth.RequireBearerToken(verified, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})
	s.handler = s.authenticate(verified(s.withServerSlot(streamable)))
	return s
}

// Handler serves MCP over streamable HTTP; mount it at /mcp.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) implementation() *sdk.Implementation {
	return &sdk.Implementation{Name: "plugboard", Title: "Plugboard", Version: s.cfg.Version}
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

type agentKey struct{}

// agentOf returns the agent the request was verified as.
func agentOf(ti *auth.TokenInfo) (store.Agent, bool) {
	if ti == nil {
		return store.Agent{}, false
	}
	a, ok := ti.Extra["agent"].(store.Agent)
	return a, ok
}

// serverSlot memoizes the server made for one HTTP request (the SDK asks
// for it twice when a request opens a session) and tells whether the
// request is an initialize, the only one that should open a session.
type serverSlot struct {
	sess       *session
	initialize bool
}

func (s *Server) withServerSlot(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slot := &serverSlot{}
		if r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" && r.Body != nil {
			slot.initialize = s.peekInitialize(r)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), agentKey{}, slot)))
		if slot.initialize && slot.sess != nil {
			s.opened(slot.sess)
		}
	})
}

// peekInitialize reads the start of a request's body, puts it back, and
// reports whether it holds an initialize request.
func (s *Server) peekInitialize(r *http.Request) bool {
	head, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxRequestBytes+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil {
		return false
	}
	var one struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(head, &one) == nil {
		return one.Method == "initialize"
	}
	var batch []struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(head, &batch) == nil {
		for _, m := range batch {
			if m.Method == "initialize" {
				return true
			}
		}
	}
	return false
}

// serverFor gives a request that opens a session a server holding the
// agent's tools. Requests of existing sessions are routed by the SDK to
// their session's server; for them it only answers the version check.
func (s *Server) serverFor(r *http.Request) *sdk.Server {
	if r.Header.Get("Mcp-Session-Id") != "" {
		return s.probe
	}
	slot, _ := r.Context().Value(agentKey{}).(*serverSlot)
	if slot == nil {
		return nil
	}
	if slot.sess != nil {
		return slot.sess.srv
	}
	ag, ok := agentOf(auth.TokenInfoFromContext(r.Context()))
	if !ok {
		return nil
	}
	sess, err := s.newSession(r.Context(), ag, slot.initialize)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "open MCP session", "agent", ag.ID, "error", err)
		return nil
	}
	slot.sess = sess
	return sess.srv
}

// newSession makes the server of a new session. Only an initialize request
// gets a session id: any other request without one (a client probing with
// server/discover, or a single stateless call) is answered and its session
// closed at once, rather than left idle until the session timeout.
func (s *Server) newSession(ctx context.Context, ag store.Agent, initialize bool) (*session, error) {
	sess := &session{agentID: ag.ID, orgID: ag.OrgID, tools: map[string]string{}}
	var sessionID func() string
	if !initialize {
		sessionID = func() string { return "" }
	}
	sess.srv = sdk.NewServer(s.implementation(), &sdk.ServerOptions{
		GetSessionID: sessionID,
		Instructions: "Each tool calls an action of an API connected to Plugboard. Tool names are <integration>__<action>. " +
			"Pass _meta.idempotency_key on a call to make a retry of it safe: a repeat within 24 hours returns the first result.",
		Logger: s.cfg.Logger,
		// Advertise tools (and their list_changed notifications) even to an
		// agent that has none yet.
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{ListChanged: true}},
		InitializedHandler: func(_ context.Context, req *sdk.InitializedRequest) {
			s.track(sess)
		},
	})
	// The list is rebuilt from the database on every tools/list, so that
	// edited grants and deleted integrations show at once.
	sess.srv.AddReceivingMiddleware(func(next sdk.MethodHandler) sdk.MethodHandler {
		return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
			if method == "tools/list" {
				if extra := req.GetExtra(); extra != nil {
					if a, ok := agentOf(extra.TokenInfo); ok {
						if err := s.sync(ctx, sess, a); err != nil {
							return nil, err
						}
					}
				}
			}
			return next(ctx, method, req)
		}
	})
	if err := s.sync(ctx, sess, ag); err != nil {
		return nil, err
	}
	return sess, nil
}

// sync makes the session's registered tools the agent's current ones. The
// SDK tells the client with notifications/tools/list_changed when that
// changes anything.
func (s *Server) sync(ctx context.Context, sess *session, ag store.Agent) error {
	tools, err := s.cfg.Catalog.Tools(ctx, ag)
	if err != nil {
		return err
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	want := make(map[string]*agent.Tool, len(tools))
	for i := range tools {
		want[tools[i].Name] = &tools[i]
	}
	var gone []string
	for name := range sess.tools {
		if _, ok := want[name]; !ok {
			gone = append(gone, name)
			delete(sess.tools, name)
		}
	}
	if len(gone) > 0 {
		sess.srv.RemoveTools(gone...)
	}
	for name, t := range want {
		if sess.tools[name] == t.Revision() {
			continue
		}
		sess.srv.AddTool(t.MCP(), s.callHandler(name))
		sess.tools[name] = t.Revision()
	}
	return nil
}

// track remembers an initialized session until it ends, so that changes in
// its organization reach it.
func (s *Server) track(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sess.ended {
		return
	}
	if s.live[sess.orgID] == nil {
		s.live[sess.orgID] = map[*session]struct{}{}
	}
	s.live[sess.orgID][sess] = struct{}{}
}

// ToolsChanged brings the connected sessions of an organization up to date
// after its integrations or agents changed, on this node and, through
// PostgreSQL, on the others (see [Server.RelayChanges]); sessions whose
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
	var sessions []*session
	for sess := range s.live[orgID] {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	if len(sessions) == 0 {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		for _, sess := range sessions {
			ag, err := s.cfg.Store.GetAgent(ctx, orgID, sess.agentID)
			if err == nil && !ag.RevokedAt.IsZero() {
				err = store.ErrNotFound
			}
			if errors.Is(err, store.ErrNotFound) {
				sess.close()
				continue
			}
			if err == nil {
				err = s.sync(ctx, sess, ag)
			}
			if err != nil {
				s.cfg.Logger.WarnContext(ctx, "update MCP session tools", "agent", sess.agentID, "error", err)
			}
		}
	}()
}

// Close ends every open session, so that their event streams do not hold
// up a graceful shutdown.
func (s *Server) Close() {
	s.mu.Lock()
	var open []*session
	for _, sessions := range s.open {
		open = append(open, sessions...)
	}
	s.mu.Unlock()
	for _, sess := range open {
		sess.close()
	}
}
