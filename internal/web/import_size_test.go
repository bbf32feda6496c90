package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/integration"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestImportUploadSizes: a dashboard upload may be as large as the import
// limit (GitHub's dereferenced description is 28.7 MB), and a larger one
// is answered 413 saying what to do.
func TestImportUploadSizes(t *testing.T) {
	t.Parallel()
	in := servertest.Start(t, servertest.Options{})
	site := in.SignInOwner(t)
	site.Get("/integrations/new")
	upload := func(size int, csrfHeader bool) (int, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if !csrfHeader {
			_ = w.WriteField("csrf", site.CSRF)
		}
		_ = w.WriteField("server_url", "https://api.example.com")
		f, _ := w.CreateFormFile("file", "openapi.json")
		_, _ = f.Write([]byte(`{"openapi": "3.0.3", "info": {"title": "Big", "version": "1", "description": "` + strings.Repeat("x", size) +
			`"}, "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}}}`))
		_ = w.Close()
		req, _ := http.NewRequest(http.MethodPost, in.URL+"/integrations/import", &buf)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if csrfHeader {
			req.Header.Set("X-CSRF-Token", site.CSRF)
		}
		code, body, _ := site.Do(req)
		return code, body
	}
	if code, body := upload(20<<20, false); code != http.StatusSeeOther {
		t.Errorf("a 20 MB document: %d\n%.2000s", code, body)
	}
	code, body := upload(integration.MaxImportBytes+2<<20, false)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "give its URL instead") {
		t.Errorf("a document over the limit: %d\n%.2000s", code, body)
	}
	// A script that sends the token as a header reaches the handler with
	// the form unread: the same answer.
	code, body = upload(integration.MaxImportBytes+2<<20, true)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "give the document") {
		t.Errorf("a document over the limit, token in a header: %d\n%.2000s", code, body)
	}
}
