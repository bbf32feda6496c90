// Package idempotency makes action calls safe to retry: a call made with an
// idempotency key runs once, and a repeat of the key within the window gets
// the first call's result without the API being called again. It serves
// the REST API's Idempotency-Key header and the MCP tools' idempotency_key.
//
// A key belongs to a scope (the caller), so two agents may use the same key
// without meeting. Reusing a key for a different request is refused rather
// than answered with a result that belongs to another request. A call that
// fails before the API answers (bad params, no connection, a timeout) keeps
// nothing, so a retry runs it again.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/plugboard/plugboard/internal/executor"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Window is how long a key's result is replayed.
const Window = 24 * time.Hour

// abandonAfter is how long a key may stay in flight before a retry may take
// it over: well past the longest call (30 s timeout with retries), so only
// a caller that crashed mid-call leaves one that old.
const abandonAfter = 5 * time.Minute

// MaxKeyLength bounds keys; longer ones are refused.
const MaxKeyLength = 255

// Runner runs calls under idempotency keys.
type Runner struct {
	Store  *store.Store
	Logger *slog.Logger

	lastPurge atomic.Int64 // unix ms
}

// Request identifies one call: who makes it (Scope), its key, and what it
// asks for (Fingerprint, from [Fingerprint]).
type Request struct {
	OrgID       string
	Scope       string
	Key         string
	Fingerprint string
}

// Fingerprint hashes the parts of a request that must match for a key to be
// replayed. Maps are encoded with sorted keys, so equal params hash equally.
func Fingerprint(parts ...any) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, p := range parts {
		_ = enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Do runs call once per key. replayed reports that the result is the one
// stored for an earlier call with the same key.
func (r *Runner) Do(ctx context.Context, req Request, call func(context.Context) (*executor.Result, error)) (res *executor.Result, replayed bool, err error) {
	if req.Key == "" {
		res, err = call(ctx)
		return res, false, err
	}
	if len(req.Key) > MaxKeyLength {
		return nil, false, problem.BadRequest("the idempotency key is %d characters long; use at most %d (a UUID is a good key)", len(req.Key), MaxKeyLength)
	}
	r.purge(ctx)
	now := time.Now()
	held, reserved, err := r.Store.ReserveIdempotencyKey(ctx, store.IdempotencyRecord{
		OrgID: req.OrgID, Scope: req.Scope, Key: req.Key, Fingerprint: req.Fingerprint, CreatedAt: now,
	}, now.Add(-Window), now.Add(-abandonAfter))
	if err != nil {
		return nil, false, fmt.Errorf("reserve idempotency key: %w", err)
	}
	if !reserved {
		return replay(held, req)
	}
	res, err = call(ctx)
	// The outcome is stored even when the caller has gone away meanwhile.
	bg := context.WithoutCancel(ctx)
	if err != nil {
		if rerr := r.Store.ReleaseIdempotencyKey(bg, req.OrgID, req.Scope, req.Key); rerr != nil {
			r.Logger.WarnContext(ctx, "release idempotency key", "scope", req.Scope, "error", rerr)
		}
		return nil, false, err
	}
	kept := *res
	kept.Request = nil
	data, merr := json.Marshal(&kept)
	if merr == nil {
		merr = r.Store.CompleteIdempotencyKey(bg, req.OrgID, req.Scope, req.Key, data)
	}
	if merr != nil {
		r.Logger.WarnContext(ctx, "store idempotent result", "scope", req.Scope, "error", merr)
	}
	return res, false, nil
}

func replay(held store.IdempotencyRecord, req Request) (*executor.Result, bool, error) {
	if held.Fingerprint != req.Fingerprint {
		return nil, false, &problem.Error{Status: http.StatusUnprocessableEntity, Title: "Idempotency key reused",
			Detail: fmt.Sprintf("the idempotency key %q was used at %s for a different request; use a new key for each distinct call", req.Key, held.CreatedAt.Format(time.RFC3339))}
	}
	if held.Result == nil {
		return nil, false, &problem.Error{Status: http.StatusConflict, Title: "Call in progress", RetryAfter: time.Second,
			Detail: fmt.Sprintf("a call with the idempotency key %q is still running; retry in a moment to get its result", req.Key)}
	}
	var res executor.Result
	if err := json.Unmarshal(held.Result, &res); err != nil {
		return nil, false, errors.Join(errors.New("stored idempotent result no longer decodes"), err)
	}
	return &res, true, nil
}

// purge drops expired records now and then (at most once a minute per
// process); lookups ignore them anyway, so this only bounds the table.
func (r *Runner) purge(ctx context.Context) {
	now := time.Now().UnixMilli()
	last := r.lastPurge.Load()
	if now-last < time.Minute.Milliseconds() || !r.lastPurge.CompareAndSwap(last, now) {
		return
	}
	if _, err := r.Store.PurgeIdempotencyKeys(ctx, time.Now().Add(-Window)); err != nil {
		r.Logger.WarnContext(ctx, "purge idempotency keys", "error", err)
	}
}
