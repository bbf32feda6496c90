package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

const metricsToken = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// scrape fetches url with an optional bearer token.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMetricsAccess(t *testing.T) {
	t.Parallel()

	t.Run("neither token nor address: 401 saying how to enable them", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{})
		code, body := scrape(t, srv.URL+"/metrics", "")
		if code != http.StatusUnauthorized || !strings.Contains(body, "PLUGBOARD_METRICS_TOKEN") || !strings.Contains(body, "PLUGBOARD_METRICS_ADDR") {
			t.Fatalf("%d %s", code, body)
		}
		if code, _ := scrape(t, srv.URL+"/metrics", "anything"); code != http.StatusUnauthorized {
			t.Fatalf("with a token the server has not: %d", code)
		}
	})

	t.Run("a token: only with it on the main address", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.MetricsToken = metricsToken }})
		for _, token := range []string{"", "wrong", metricsToken[1:] + "0"} {
			if code, body := scrape(t, srv.URL+"/metrics", token); code != http.StatusUnauthorized || !strings.Contains(body, "Authorization: Bearer") {
				t.Fatalf("token %q: %d %s", token, code, body)
			}
		}
		if code, body := scrape(t, srv.URL+"/metrics", metricsToken); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Fatalf("with the token: %d %s", code, body)
		}
	})

	t.Run("a metrics address: open there, closed on the main address", func(t *testing.T) {
		t.Parallel()
		srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
		if srv.MetricsURL == "" {
			t.Fatal("no metrics listener")
		}
		if code, body := scrape(t, srv.MetricsURL+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Fatalf("on the metrics address: %d %s", code, body)
		}
		if code, body := scrape(t, srv.URL+"/metrics", ""); code != http.StatusUnauthorized || !strings.Contains(body, "PLUGBOARD_METRICS_TOKEN") {
			t.Fatalf("on the main address: %d %s", code, body)
		}
		if code, _ := scrape(t, srv.MetricsURL+"/v1/integrations", ""); code != http.StatusNotFound {
			t.Fatalf("the metrics address serves the API: %d", code)
		}
	})

	t.Run("profiles only when asked, and only on the metrics address", func(t *testing.T) {
		t.Parallel()
		for _, pprof := range []bool{false, true} {
			srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.MetricsAddr, c.Pprof = "127.0.0.1:0", pprof }})
			want := http.StatusNotFound
			if pprof {
				want = http.StatusOK
			}
			if code, body := scrape(t, srv.MetricsURL+"/debug/pprof/goroutine?debug=1", ""); code != want || (pprof && !strings.Contains(body, "goroutine profile")) {
				t.Fatalf("pprof %v, on the metrics address: %d", pprof, code)
			}
			if code, _ := scrape(t, srv.URL+"/debug/pprof/goroutine?debug=1", ""); code == http.StatusOK {
				t.Fatalf("pprof %v: profiles are served on the main address", pprof)
			}
		}
	})
}

// TestMetricsLabelsHideTenantNames runs an action of an integration whose
// slug and action key are names a tenant chose: by default the series name
// the integration by id only; the operator may opt in to the names.
func TestMetricsLabelsHideTenantNames(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(up.Close)
	for _, tenantLabels := range []bool{false, true} {
		t.Run(fmt.Sprint("tenant labels ", tenantLabels), func(t *testing.T) {
			t.Parallel()
			srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
				c.MetricsToken, c.MetricsTenantLabels = metricsToken, tenantLabels
			}})
			ctx := context.Background()
			in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(fmt.Sprintf(`{"name": "Secret Merger Talks", "baseUrl": %q, "actions": [{"key": "acquire_rival", "name": "Acquire", "endpoint": "/x"}]}`, up.URL)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Client.Run(ctx, in.ID, "acquire_rival", client.RunInput{Params: map[string]any{}}); err != nil {
				t.Fatal(err)
			}
			_, body := scrape(t, srv.URL+"/metrics", metricsToken)
			if !strings.Contains(body, `integration_id="`+in.ID+`"`) {
				t.Fatalf("no series labelled with the integration's id:\n%s", servertest.GrepLines(body, "plugboard_action"))
			}
			named := strings.Contains(body, in.Slug) || strings.Contains(body, "acquire_rival")
			if named != tenantLabels {
				t.Fatalf("tenant names in the series: %v, want %v:\n%s", named, tenantLabels, servertest.GrepLines(body, "plugboard_action"))
			}
		})
	}
}
