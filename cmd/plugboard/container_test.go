//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
)

// The image the Dockerfile describes cannot be built here (base images are
// not pulled), so this builds one of the same shape from a binary compiled
// on the host: static, FROM scratch, CA certificates, a non-root user and a
// /data volume. It runs it with podman and makes a first integration call
// through it.
func TestContainerImageServesAFirstIntegration(t *testing.T) {
	t.Parallel()
	pm := newPodman(t)
	ctxDir := t.TempDir()

	bin := filepath.Join(ctxDir, "plugboard")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	requireStatic(t, bin)
	writeFiles(t, ctxDir, map[string]string{
		"passwd": "plugboard:x:10001:10001:Plugboard:/data:/sbin/nologin\n",
		"group":  "plugboard:x:10001:\n",
		"Containerfile": `FROM scratch
COPY plugboard /usr/local/bin/plugboard
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY passwd /etc/passwd
COPY group /etc/group
COPY --chown=10001:10001 data /data
USER 10001:10001
ENV PLUGBOARD_DATA_DIR=/data PLUGBOARD_ADDR=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/plugboard"]
CMD ["serve"]
`,
	})
	certs, err := os.ReadFile(hostCAFile(t))
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, ctxDir, map[string]string{"ca-certificates.crt": string(certs)})
	if err := os.Mkdir(filepath.Join(ctxDir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}

	image := "localhost/plugboard-test:" + randomHex(6)
	pm.must("build", "-t", image, "-f", filepath.Join(ctxDir, "Containerfile"), ctxDir)

	// A stand-in API on the host, which the container reaches on loopback
	// (host network) or through the host's gateway address (published port).
	calls := make(chan map[string]any, 4)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		body["key_sent"] = r.Header.Get("X-API-Key") == "sandbox-key"
		calls <- body
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	}))
	defer api.Close()

	token := "pb_" + randomAlnum(33)
	name := "plugboard-test-" + randomHex(6)
	base, apiURL := pm.run(name, image, token, api.URL)
	t.Cleanup(func() { pm.quiet("rm", "-f", "-t", "2", name) })

	waitHealthy(t, pm, name, base)
	t.Logf("podman %s", strings.ReplaceAll(strings.Join(pm.runFlags, " "), token, "[REDACTED]"))
	if user := pm.must("inspect", name, "--format", "{{.Config.User}}"); strings.TrimSpace(user) != "10001:10001" {
		t.Errorf("the container runs as %q, want the non-root user 10001", user)
	}
	if top := pm.must("top", name, "huser"); !strings.Contains(top, "10001") || strings.Contains(top, "root") {
		t.Errorf("the server process runs as:\n%s", top)
	}
	if mounts := pm.must("inspect", name, "--format", "{{range .Mounts}}{{.Destination}} {{end}}"); !strings.Contains(mounts, "/data") {
		t.Errorf("no volume at /data: %q", mounts)
	}

	c := client.New(base, token)
	ctx := context.Background()
	in, err := c.CreateIntegration(ctx, json.RawMessage(`{"name": "Custom CRM", "baseUrl": "`+apiURL+`/v1",
		"auth": {"type": "api_key", "location": "header", "key": "X-API-Key"},
		"actions": [{"name": "Create Contact", "method": "POST", "endpoint": "/contacts", "parameters": {"name": "string"}}]}`))
	if err != nil {
		t.Fatalf("create an integration in the container: %v\n%s", err, pm.quiet("logs", name))
	}
	if _, err := c.AddConnection(ctx, in.ID, client.ConnectionInput{Environment: "sandbox", Credentials: map[string]string{"api_key": "sandbox-key"}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(ctx, in.ID, "create_contact", client.RunInput{Environment: "sandbox", Params: map[string]any{"name": "Ada"}})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, pm.quiet("logs", name))
	}
	got := <-calls
	if res.Status != http.StatusCreated || got["name"] != "Ada" || got["key_sent"] != true {
		t.Fatalf("the call through the container: status %d, the API received %v", res.Status, got)
	}
}

// podman runs podman with its own storage under a temporary folder (vfs,
// which works without overlay support, and nothing shared with the
// machine's images), so tests can run side by side, as root or rootless.
type podman struct {
	t      *testing.T
	global []string
	// runFlags are the run options that worked on this machine.
	runFlags []string
}

func newPodman(t *testing.T) *podman {
	t.Helper()
	path, err := exec.LookPath("podman")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("the container test needs podman under CI: apt-get install -y podman (see .ci/setup)")
		}
		t.Skip("container test skipped: no podman (apt-get install -y podman)")
	}
	dir, err := os.MkdirTemp("", "pbpodman")
	if err != nil {
		t.Fatal(err)
	}
	pm := &podman{t: t, global: []string{path, "--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}}
	t.Cleanup(func() {
		pm.quiet("rm", "-a", "-f", "-t", "0")
		pm.quiet("rmi", "-a", "-f")
		if os.Geteuid() != 0 { // rootless files belong to sub-ids
			pm.quiet("unshare", "rm", "-rf", dir)
		}
		_ = os.RemoveAll(dir)
	})
	return pm
}

func (pm *podman) cmd(args ...string) *exec.Cmd {
	all := append(append([]string{}, pm.global[1:]...), args...)
	return exec.Command(pm.global[0], all...)
}

// must runs podman and fails the test on an error.
func (pm *podman) must(args ...string) string {
	pm.t.Helper()
	out, err := pm.cmd(args...).CombinedOutput()
	if err != nil {
		pm.t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// quiet runs podman and returns what it printed, errors included.
func (pm *podman) quiet(args ...string) string {
	out, _ := pm.cmd(args...).CombinedOutput()
	return string(out)
}

// run starts the image, trying what machines differ in: the OCI runtime
// (crun, then runc, which copes with hybrid cgroups), cgroups, and the
// network (the host's, else a published port). It returns the server's URL
// and the stand-in API's URL as the container reaches it.
func (pm *podman) run(name, image, token, apiURL string) (string, string) {
	pm.t.Helper()
	port := freePort(pm.t)
	limits := []string{"--ulimit", "nofile=" + limit(syscall.RLIMIT_NOFILE), "--ulimit", "nproc=" + limit(rlimitNPROC)}
	env := []string{"-e", "PLUGBOARD_ADMIN_TOKEN=" + token, "-e", "PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true", "-e", "PLUGBOARD_LOG_LEVEL=debug"}
	var runtimes [][]string
	for _, rt := range []string{"crun", "runc"} {
		if _, err := exec.LookPath(rt); err == nil {
			runtimes = append(runtimes, []string{"--runtime", rt}, append([]string{"--runtime", rt}, "--cgroups", "disabled"))
		}
	}
	var failures []string
	for _, rt := range runtimes {
		for _, hostNet := range []bool{true, false} {
			args := append(append([]string{"run", "-d", "--name", name}, rt...), limits...)
			args = append(args, env...)
			base, reach := "http://127.0.0.1:"+strconv.Itoa(port), apiURL
			if hostNet {
				args = append(args, "--network", "host", "-e", "PLUGBOARD_ADDR=127.0.0.1:"+strconv.Itoa(port))
			} else {
				// The host's loopback, as a container on the default
				// network reaches it.
				reach = strings.Replace(apiURL, "127.0.0.1", "host.containers.internal", 1)
				args = append(args, "-p", "127.0.0.1:"+strconv.Itoa(port)+":8080", "-e", "PLUGBOARD_PUBLIC_URL="+base)
			}
			args = append(args, image)
			out, err := pm.cmd(args...).CombinedOutput()
			if err == nil {
				pm.runFlags = args
				return base, reach
			}
			tried := strings.ReplaceAll(strings.Join(args[4:len(args)-1], " "), token, "[REDACTED]")
			failures = append(failures, fmt.Sprintf("%s: %s", tried, strings.TrimSpace(string(out))))
			pm.quiet("rm", "-f", name)
		}
	}
	pm.t.Fatalf("podman could not run the image on this machine; tried:\n%s", strings.Join(failures, "\n"))
	return "", ""
}

// rlimitNPROC is Linux's RLIMIT_NPROC, which package syscall does not name.
const rlimitNPROC = 6

// limit is the current soft and hard limit, capped at 4096: a container
// may not raise a limit, and some runtimes refuse the defaults podman
// asks for inside another container.
func limit(resource int) string {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(resource, &rl); err != nil {
		return "1024:1024"
	}
	v := min(rl.Cur, rl.Max, 4096)
	return fmt.Sprintf("%d:%d", v, v)
}

func waitHealthy(t *testing.T, pm *podman, name, base string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200 (%v); container log:\n%s", err, pm.quiet("logs", name))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requireStatic fails when the binary asks for a dynamic loader, which a
// FROM scratch image does not have.
func requireStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary built with CGO_ENABLED=0 is dynamically linked")
		}
	}
}

func hostCAFile(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("no CA bundle on this machine (apt-get install -y ca-certificates)")
	return ""
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomAlnum is n random letters and digits (the generated key format).
func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
