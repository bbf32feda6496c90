package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestImportTooLargeIsRefusedWith413 sends an inline document larger than
// the import limit, as a 73 MB description would be: the answer is 413,
// saying what to do, not a broken connection.
func TestImportTooLargeIsRefusedWith413(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	pad := strings.Repeat("x", 73<<20)
	doc := json.RawMessage(`{"openapi": "3.0.3", "info": {"title": "Huge", "version": "1", "description": "` + pad + `"}, "paths": {}}`)
	_, err := srv.Client.Import(context.Background(), client.ImportInput{OpenAPI: doc})
	pe := problemOf(t, err, 413)
	if !strings.Contains(pe.Detail, "openapi_url") {
		t.Errorf("detail = %q, want it to suggest openapi_url", pe.Detail)
	}
}

// TestImportTooLargeIsRefusedBeforeTheBody: a client that announces a
// body over the limit and asks to continue is answered 413 at once, so it
// never sends the 73 MB (and never meets a closed connection mid-send).
func TestImportTooLargeIsRefusedBeforeTheBody(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	u, _ := url.Parse(srv.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /v1/integrations/import HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		u.Host, srv.Token, 73<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "openapi_url") {
		t.Fatalf("answer before the body: %s\n%s", resp.Status, body)
	}
}
