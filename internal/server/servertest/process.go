package servertest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/plugboard once per test binary and returns its path,
// for tests that run nodes as processes they can SIGKILL.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "plugboard-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "plugboard")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/plugboard/plugboard/cmd/plugboard").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is a `plugboard serve` child process.
type Process struct {
	URL    string
	Addr   string
	cmd    *exec.Cmd
	logs   *SyncBuffer
	exited chan struct{} // closed once the process has ended
}

// ProcessOptions start a Process. Env holds PLUGBOARD_* settings beyond
// the ones every test node has (the admin token, private networks
// allowed, warnings only in the log).
type ProcessOptions struct {
	Addr    string // default: a free loopback port
	DataDir string // default: a temp dir
	Env     map[string]string
}

// StartProcess runs bin serve and waits until /healthz answers 200. The
// process is killed when the test ends.
func StartProcess(t testing.TB, bin string, opts ProcessOptions) *Process {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = FreeAddr(t)
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	cmd := exec.Command(bin, "serve", "--addr", opts.Addr, "--data-dir", opts.DataDir)
	cmd.Env = append(os.Environ(), "PLUGBOARD_ADMIN_TOKEN="+AdminToken, "PLUGBOARD_ALLOW_PRIVATE_NETWORKS=true", "PLUGBOARD_LOG_LEVEL=warn")
	for k, v := range opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{URL: "http://" + opts.Addr, Addr: opts.Addr, cmd: cmd, logs: &SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("node %s wrote:\n%s", opts.Addr, p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("node at %s ended before it answered:\n%s", opts.Addr, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("node at %s did not start:\n%s", opts.Addr, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the process with SIGKILL, as a crash or an out-of-memory kill
// would: nothing in it runs after the signal.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// Logs is what the process wrote so far.
func (p *Process) Logs() string { return p.logs.String() }

// FreeAddr returns a loopback address with a port free at the time, below
// the range the system takes local ports of outgoing connections from: a
// test that restarts a node on its address after a kill must not find the
// port taken meanwhile by a connection of another test (a pooled
// PostgreSQL connection holds its port for minutes).
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 200 {
		port := 10_000 + rand.IntN(low-10_000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken; try another
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}
	t.Fatalf("no free loopback port between 10000 and %d", low)
	return ""
}

// ephemeralLow is the first port of the system's range for the local
// ports of outgoing connections (Linux: ip_local_port_range), 32768 when
// it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var low, high int
	if _, err := fmt.Sscan(string(b), &low, &high); err != nil || low <= 11_000 {
		return 32768
	}
	return low
}
