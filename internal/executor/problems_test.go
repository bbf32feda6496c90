package executor

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestNetworkDetailNamesTheHostNotTheInternals(t *testing.T) {
	t.Parallel()
	dial := func(err error) error {
		return fmt.Errorf("outbound: GET http://api.example.com/x: %w", &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 443}, Err: err})
	}
	tests := []struct {
		err  error
		want string
	}{
		{dial(&net.DNSError{Err: "no such host", Name: "api.example.com", Server: "127.0.0.53:53", IsNotFound: true}), "could not resolve host api.example.com: no such host"},
		{dial(&net.DNSError{Err: "i/o timeout", Name: "api.example.com", Server: "127.0.0.53:53", IsTimeout: true}), "could not resolve host api.example.com right now"},
		{dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "connection refused by api.example.com:443"},
		{fmt.Errorf("outbound: GET x: %w", io.EOF), "the upstream closed the connection (api.example.com:443)"},
		{dial(os.NewSyscallError("read", syscall.ECONNRESET)), "the upstream closed the connection"},
		{fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), "signed by an unknown authority"},
		{fmt.Errorf("tls: %w", x509.HostnameError{Host: "api.example.com", Certificate: &x509.Certificate{}}), "not valid for api.example.com"},
		{dial(timeoutError{}), "could not connect to api.example.com:443 in time"},
		{errors.New("outbound: something new: 10.0.0.7"), "could not reach api.example.com:443; the error was logged"},
	}
	for _, tt := range tests {
		got := networkDetail("api.example.com:443", tt.err)
		if !strings.Contains(got, tt.want) {
			t.Errorf("networkDetail(%v) = %q, want %q", tt.err, got, tt.want)
		}
		for _, internal := range []string{"127.0.0.53", "10.0.0.7", "outbound:", "dial", "EOF"} {
			if strings.Contains(got, internal) {
				t.Errorf("networkDetail(%v) = %q shows %q", tt.err, got, internal)
			}
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestHostOf(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://api.example.com/v1?k=1": "api.example.com:443",
		"http://api.example.com/":        "api.example.com:80",
		"http://127.0.0.1:8080/x":        "127.0.0.1:8080",
		"http://[::1]/x":                 "[::1]:80",
		"::":                             "the upstream",
	} {
		if got := hostOf(raw); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", raw, got, want)
		}
	}
}
