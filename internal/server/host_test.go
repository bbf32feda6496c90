package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/config"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestDashboardAndMCPAnswerOnlyTheirHost sends requests naming other hosts,
// as a page on a rebinding domain would: the dashboard and /mcp refuse
// them and say which host is expected, the REST API and webhook intake
// (often behind proxies that rewrite Host) do not look.
func TestDashboardAndMCPAnswerOnlyTheirHost(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) { c.PublicURL = "https://plugboard.example.com" }})
	send := func(method, path, host string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(`{}`))
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+srv.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, host := range []string{"evil.example", "evil.example" + port, "plugboard.example.com.evil.example", "plugboard.example.com:8443"} {
		for _, path := range []string{"/signin", "/", "/static/app.css", "/mcp"} {
			code, body := send(http.MethodGet, path, host)
			if code != http.StatusMisdirectedRequest || !strings.Contains(body, "plugboard.example.com") {
				t.Errorf("GET %s with Host %s: %d %s, want 421 naming the expected host", path, host, code, body)
			}
		}
	}
	for _, host := range []string{"plugboard.example.com", "PLUGBOARD.example.com", "plugboard.example.com:443", "127.0.0.1" + port, "localhost" + port, "[::1]" + port} {
		if code, _ := send(http.MethodGet, "/signin", host); code != http.StatusOK {
			t.Errorf("GET /signin with Host %s: %d, want 200", host, code)
		}
		if code, _ := send(http.MethodPost, "/mcp", host); code == http.StatusMisdirectedRequest || code == http.StatusForbidden {
			t.Errorf("POST /mcp with Host %s: %d, want it served", host, code)
		}
	}
	// Surfaces that authenticate every request themselves do not look at Host.
	if code, body := send(http.MethodGet, "/v1/integrations", "internal-upstream:8080"); code != http.StatusOK {
		t.Errorf("the REST API behind a proxy rewriting Host: %d %s", code, body)
	}
	if code, _ := send(http.MethodPost, "/hooks/wh_unknown", "internal-upstream:8080"); code != http.StatusNotFound {
		t.Errorf("webhook intake behind a proxy rewriting Host: %d, want 404 for an unknown webhook", code)
	}
	if code, _ := send(http.MethodGet, "/healthz", "internal-upstream:8080"); code != http.StatusOK {
		t.Errorf("/healthz with another Host: %d", code)
	}
}

// TestLoopbackHostsNeedALoopbackListener checks that a node listening on
// every interface answers only its public host, loopback names included.
func TestLoopbackHostsNeedALoopbackListener(t *testing.T) {
	t.Parallel()
	// The test server listens on 127.0.0.1; the rule reads the configured
	// address, so a wildcard address with the public URL is what a node
	// on 0.0.0.0 sees.
	srv := servertest.Start(t, servertest.Options{Configure: func(c *config.Config) {
		c.PublicURL = "https://plugboard.example.com"
		c.Addr = "0.0.0.0" + c.Addr[strings.LastIndex(c.Addr, ":"):]
	}})
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/signin", nil)
	req.Host = "localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("Host localhost on a node listening on every interface: %d, want 421", resp.StatusCode)
	}
}
