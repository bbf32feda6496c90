package executor

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/plugboard/plugboard/internal/calllog"
	"github.com/plugboard/plugboard/internal/connector"
	"github.com/plugboard/plugboard/internal/id"
	"github.com/plugboard/plugboard/internal/logging"
	"github.com/plugboard/plugboard/internal/outbound"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/telemetry"
)

type sendSpec struct {
	action, env, actor string
	source             Source
	method, url        string
	header             http.Header
	body               []byte
	idempotencyKey     string
	// rawOnly: the caller hands the answer on as it came (the proxy), so
	// the decoded view (headers, body, the request sent) is not built.
	rawOnly bool
}

// send performs the call through the outbound client with credentials
// injected on every attempt, refreshes OAuth credentials once after a 401,
// and records the call.
func (e *Executor) send(ctx context.Context, t *Target, conn store.Connection, creds connector.Credentials, s sendSpec) (*Result, error) {
	authSpec := t.Definition.Auth
	timeout := time.Duration(t.Definition.TimeoutSeconds) * time.Second
	ctx, span := startSpan(ctx, t, s)
	defer span.End()
	var sent *http.Request
	req := &outbound.Request{
		Key:            t.Integration.ID,
		Method:         s.method,
		URL:            s.url,
		Header:         s.header,
		Body:           s.body,
		IdempotencyKey: s.idempotencyKey,
		Timeout:        timeout,
		Redirects:      redirectPolicy(t.Definition),
		Prepare: func(r *http.Request) error {
			sent = r
			telemetry.Propagator().Inject(ctx, propagation.HeaderCarrier(r.Header))
			if err := authSpec.Apply(r, creds); err != nil {
				return &credentialsError{env: s.env, err: err}
			}
			return nil
		},
	}
	budget := budgetKey(t, conn, s.env)
	ticket, err := e.reserve(ctx, t, budget)
	if err != nil {
		return nil, err
	}
	// A retry of an answer the API refused (a 429 with Retry-After) spends
	// the budget too: the refusal is recorded and the retry takes a place.
	req.BeforeRetry = func(ctx context.Context, last *outbound.Response) error {
		e.observe(ctx, budget, ticket, last)
		next, err := e.reserve(ctx, t, budget)
		if err != nil {
			return err
		}
		ticket = next
		return nil
	}
	start := time.Now()
	resp, err := e.Outbound.Do(ctx, req)
	if err == nil && resp.Status == http.StatusUnauthorized && conn.ID != "" {
		if fresh, ok, rerr := e.Auth.Refresh(ctx, conn, authSpec, creds); rerr != nil {
			err = rerr
		} else if ok {
			creds = fresh
			resp, err = e.Outbound.Do(ctx, req)
		}
	}
	elapsed := time.Since(start)
	window := e.observe(ctx, budget, ticket, resp)

	secrets := creds.Secrets()
	logID := id.New("log")
	entry := store.CallLog{
		ID: logID, OrgID: t.Integration.OrgID, IntegrationID: t.Integration.ID, Action: s.action,
		Environment: s.env, Source: string(s.source), Actor: s.actor, UserID: conn.UserID, Method: s.method,
		URL: redactURL(s.url, authSpec, secrets), DurationMS: durationMS(elapsed), Attempts: 1,
		RequestBody: truncate(logging.RedactBody(s.body, s.header.Get("Content-Type"), secrets...)), CreatedAt: start.UTC(),
	}
	sentHeaders := maskHeaders(headerOf(sent), authSpec, secrets)
	if sent != nil {
		entry.RequestHeaders = headerText(sentHeaders)
	}
	var result *Result
	if err != nil {
		entry.Error = err.Error()
	} else {
		entry.Status, entry.Attempts = resp.Status, resp.Attempts
		entry.ResponseHeaders = headerText(maskHeaders(resp.Header, authSpec, secrets))
		entry.ResponseBody = truncate(logging.RedactJSON(resp.Body, secrets...))
		shown := withoutSecrets(resp, secrets)
		result = &Result{
			Status: shown.Status, DurationMS: durationMS(elapsed), Attempts: resp.Attempts, LogID: logID, RateLimit: window,
			raw: shown,
		}
		if !s.rawOnly {
			result.Headers, result.Body = firstValues(shown.Header), decodeBody(shown.Header, shown.Body)
			result.url = entry.URL
			if s.source == SourceTest {
				// Only the dashboard's test step shows what was sent.
				result.Request = &SentRequest{Method: s.method, URL: entry.URL, Headers: firstValues(sentHeaders), Body: entry.RequestBody}
			}
		}
	}
	endSpan(span, entry, err)
	e.Recorder.Record(entry)
	e.Metrics.ObserveCall(t.Integration.ID, t.Integration.Slug, s.action, string(s.source), entry.Status, err != nil, elapsed)
	if err != nil {
		e.Logger.WarnContext(ctx, "action call failed", "integration", t.Integration.ID, "action", s.action, "environment", s.env, "error", err)
		return nil, callProblem(t, s, err)
	}
	return result, nil
}

// redirectPolicy is the definition's choice for redirects to another
// origin; credentials never follow them either way.
func redirectPolicy(d *connector.Definition) outbound.RedirectPolicy {
	if d.Redirects == connector.RedirectsSameOrigin {
		return outbound.SameOriginRedirects
	}
	return outbound.FollowRedirects
}

func headerOf(r *http.Request) http.Header {
	if r == nil {
		return http.Header{}
	}
	return r.Header
}

func truncate(b []byte) string {
	if len(b) > calllog.MaxBodyBytes {
		return string(b[:calllog.MaxBodyBytes]) + "…[truncated]"
	}
	return string(b)
}

func headerText(h http.Header) string {
	size := 0
	for k, vs := range h {
		for _, v := range vs {
			size += len(k) + len(v) + 3
		}
	}
	var b strings.Builder
	b.Grow(size)
	for k, vs := range h {
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func redactURL(u string, a connector.Auth, secrets []string) string {
	var keys []string
	if a.Type == connector.AuthAPIKey && a.Location == "query" {
		keys = append(keys, a.Key)
	}
	out := logging.RedactURL(u, keys...)
	for _, s := range secrets {
		if s != "" {
			out = strings.ReplaceAll(out, s, "[REDACTED]")
		}
	}
	return out
}

// withoutSecrets is the answer as the caller may see it: an API that
// echoes the connection's credentials, in its body or its headers, must not
// hand them to whoever called it. Only the credential values are masked;
// the rest of the answer is the API's own.
func withoutSecrets(resp *outbound.Response, secrets []string) *outbound.Response {
	if len(secrets) == 0 {
		return resp
	}
	m := logging.NewMasker(secrets...)
	shown := *resp
	shown.Body = m.Mask(resp.Body)
	shown.Header = rewriteHeaders(resp.Header, func(_, v string) string { return m.MaskString(v) })
	return &shown
}

// rewriteHeaders returns h with each value replaced by rewrite's answer,
// copying h only when a value changes: h itself when none does. Neither
// is to be modified by the caller.
func rewriteHeaders(h http.Header, rewrite func(name, value string) string) http.Header {
	var out http.Header
	for name, vals := range h {
		for i, v := range vals {
			if w := rewrite(name, v); w != v {
				if out == nil {
					out = h.Clone()
				}
				out[name][i] = w
			}
		}
	}
	if out == nil {
		return h
	}
	return out
}

// maskHeaders hides secrets in headers kept for logs and shown to users:
// headers whose names say they are secret, the header an api_key
// integration sends its key in whatever it is called, and any credential
// value an API echoes back.
func maskHeaders(h http.Header, a connector.Auth, secrets []string) http.Header {
	keyHeader := a.Type == connector.AuthAPIKey && a.Location != "query"
	return rewriteHeaders(h, func(name, v string) string {
		switch {
		case keyHeader && strings.EqualFold(name, a.Key):
			return logging.Redacted
		case logging.IsSecretHeader(name):
			return logging.MaskHeaderValue(v)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(v, s) {
				v = strings.ReplaceAll(v, s, logging.Redacted)
			}
		}
		return v
	})
}
