package mcp_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The clients nobody here wrote run on Node.js from the packages pinned in
// testdata/package.json: the TypeScript SDK, the MCP Inspector and the MCP
// conformance suite. The last two need Node 22, which comes from the npm
// package "node" into testdata/node_modules, so the tests need no Node
// install beyond npm's. .ci/setup runs npmInstall.
const npmInstall = "npm ci --prefix internal/mcp/testdata"

// nodePackage returns the path of a file of an installed package under
// testdata/node_modules, or fails the test saying how to install it.
func nodePackage(t *testing.T, rel string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "node_modules", rel))
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		t.Fatalf("%s is not installed (%v); run `%s` from the repository root (.ci/setup does)", rel, err, npmInstall)
	}
	return path
}

// node22 is the Node 22 binary the npm package "node" installs.
func node22(t *testing.T) string {
	t.Helper()
	return nodePackage(t, filepath.Join("node", "bin", "node"))
}

// runNode runs a Node program in testdata with env added, and returns its
// standard output; a failure shows both outputs.
func runNode(t *testing.T, node string, env []string, args ...string) []byte {
	t.Helper()
	return runNodeExiting(t, node, env, 0, args...)
}

// runNodeExiting is runNode for a program that may exit with any code up
// to maxExit.
func runNodeExiting(t *testing.T, node string, env []string, maxExit int, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), node, args...)
	cmd.Dir = "testdata"
	// HOME is the test's own: the Inspector keeps a catalog and secrets there.
	cmd.Env = append(os.Environ(), append([]string{"HOME=" + t.TempDir(), "NO_COLOR=1"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() <= maxExit {
			return stdout.Bytes()
		}
		if errors.As(err, &ee) {
			t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(node), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
		}
		t.Fatal(err)
	}
	return stdout.Bytes()
}

// seen is what a keyProxy saw pass: the JSON-RPC methods and the
// MCP-Protocol-Version headers of the requests.
type seen struct {
	mu       sync.Mutex
	methods  []string
	versions map[string]bool
	sessions bool // a request carried Mcp-Session-Id
}

func (s *seen) has(method string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.methods {
		if m == method {
			return true
		}
	}
	return false
}

func (s *seen) version(v string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions[v]
}

// keyProxy stands for a client that holds the agent's key but cannot send
// it (the conformance suite has no option for headers): it passes every
// request to the server as it came, Host included, with the key added when
// the request has none, and notes what passed. The server's answers go
// back unchanged, streams included.
func keyProxy(t *testing.T, server, key string) (string, *seen) {
	t.Helper()
	target, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	s := &seen{versions: map[string]bool{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			if r.Out.Header.Get("Authorization") == "" && key != "" {
				r.Out.Header.Set("Authorization", "Bearer "+key)
			}
		},
		FlushInterval: -1,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct{ Method string }
		_ = json.Unmarshal(body, &msg)
		s.mu.Lock()
		if msg.Method != "" {
			s.methods = append(s.methods, msg.Method)
		}
		s.versions[r.Header.Get("Mcp-Protocol-Version")] = true
		s.sessions = s.sessions || r.Header.Get("Mcp-Session-Id") != ""
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, s
}
