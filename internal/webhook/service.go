// Package webhook receives events from other services at /hooks/{id} and
// turns them into trigger runs.
//
// A delivery passes four guards in a fixed order, each with its own status:
// size (413, read no further), IP allowlist (403), the webhook's rate limit
// (429 with Retry-After) and the source preset's signature (401, with no
// hint of the expected value). It is then handed to a committer that stores
// batches of events, their trigger runs and the runs' jobs in one
// transaction; the sender gets its 2xx only after that commit, so an
// acknowledged event is never lost. Repeated deliveries (same provider event
// id) are acknowledged and not run again.
//
// Service also holds the management operations every surface shares:
// create, update, rotate the secret, send a signed test event, inspect
// events and replay trigger runs. Each is made for a principal: a trigger
// runs as the member who made it, so only a member who may run its action
// and use its integration may make one, and a member sees (and edits) only
// the triggers of integrations they may use. Every change is audited.
package webhook

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plugboard/plugboard/internal/access"
	"github.com/plugboard/plugboard/internal/clientip"
	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/jobs"
	"github.com/plugboard/plugboard/internal/limit"
	"github.com/plugboard/plugboard/internal/metrics"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/trigger"
	"github.com/plugboard/plugboard/internal/vault"
)

// MaxBodyBytes is the largest delivery accepted.
const MaxBodyBytes = 10 << 20

// DefaultRateLimit is the per-webhook rate, in events per second, when a
// webhook sets none; a second's worth may arrive in one burst.
const DefaultRateLimit = 1000

// Config wires a Service.
type Config struct {
	Store *store.Store
	Vault *vault.Keyring
	Queue *jobs.Queue
	// Handoff, when set, carries the runs of each batch, with their
	// events, to the trigger runner of this node.
	Handoff *trigger.Handoff
	Rules   *access.Rules      // who may see and make which triggers
	Loader  *executor.Executor // trigger targets' definitions, checked when saved
	Rate    limit.Rate
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// PublicURL prefixes the webhook URLs handed out.
	PublicURL string
	// Clients finds a sender's address behind trusted proxies. Defaults to
	// the connection's peer.
	Clients *clientip.Resolver
	// MaxBatch caps the events committed in one transaction. Defaults to 512.
	MaxBatch int
	// MaxWait is how long a batch stays open for more events once one has
	// arrived. Defaults to 1ms.
	MaxWait time.Duration
	// Committers is how many batches may commit at once. Defaults to 1:
	// SQLite has one writer, and on PostgreSQL one committer per node
	// made bigger batches that cost the database a third less CPU per
	// event than four, for the same intake on one node and more on two
	// (docs/benchmarks.md). A batch grows with the commit's latency, so a
	// database a network hop away gets bigger batches, not fewer events.
	Committers int
	// CacheTTL bounds how long a node uses a webhook's settings before
	// reloading them (changes made on other nodes). Defaults to 5s.
	CacheTTL time.Duration
}

// WithDefaults returns a copy with every zero field set.
func (c Config) WithDefaults() Config {
	if c.MaxBatch == 0 {
		c.MaxBatch = 512
	}
	if c.MaxWait == 0 {
		c.MaxWait = time.Millisecond
	}
	if c.Committers == 0 {
		c.Committers = 1
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = 5 * time.Second
	}
	if c.Rate == nil {
		c.Rate = limit.NewLocalRate()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Service is the webhook domain: ingest and management.
type Service struct {
	cfg       Config
	endpoints *endpointCache
	committer *committer
	counters  map[int]prometheus.Counter // the deliveries' metric by status (outcomes); nil without metrics
}

// New returns a Service; Start runs its committer.
func New(cfg Config) (*Service, error) {
	cfg = cfg.WithDefaults()
	s := &Service{cfg: cfg}
	s.endpoints = newEndpointCache(cfg.Store, cfg.Vault, cfg.CacheTTL)
	s.committer = newCommitter(cfg.Store, cfg.Queue, cfg.Handoff, cfg.Logger, cfg.MaxBatch, cfg.MaxWait, cfg.Committers)
	if cfg.Metrics != nil {
		s.counters = make(map[int]prometheus.Counter, len(outcomes))
		for status, outcome := range outcomes {
			s.counters[status] = cfg.Metrics.Webhooks.WithLabelValues(outcome)
		}
	}
	return s, nil
}

// Start runs the committer until Close.
func (s *Service) Start(ctx context.Context) { s.committer.start(ctx) }

// Close commits what was accepted and stops the committer. Call it after
// the HTTP server has stopped taking requests.
func (s *Service) Close() { s.committer.close() }

// URL is the public address of webhook id.
func (s *Service) URL(id string) string { return s.cfg.PublicURL + "/hooks/" + id }
