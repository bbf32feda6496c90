package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/client"
	"github.com/plugboard/plugboard/internal/server/servertest"
)

// TestFormAndMultipartBodiesAreRedactedInTheCallLog: a form's secret
// fields are masked in the call log as a JSON body's are, and a multipart
// body is logged as a summary without the file's bytes.
func TestFormAndMultipartBodiesAreRedactedInTheCallLog(t *testing.T) {
	t.Parallel()
	up := echoUpstream(t)
	srv := servertest.Start(t, servertest.Options{})
	ctx := context.Background()
	in, err := srv.Client.CreateIntegration(ctx, json.RawMessage(`{"name": "Forms", "baseUrl": "`+up.URL+`", "actions": [
		{"name": "Sign Up", "method": "POST", "endpoint": "/signup", "body_type": "form", "parameters": {"email": "string", "password": "string"}},
		{"name": "Upload", "method": "POST", "endpoint": "/upload", "body_type": "multipart",
		 "parameters": {"file": {"type": "string", "format": "binary"}, "client_secret": "string", "purpose": "string"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	signUp, err := srv.Client.Run(ctx, in.ID, "sign_up", client.RunInput{Params: map[string]any{"email": "ada@example.com", "password": "hunter2-long"}})
	if err != nil {
		t.Fatal(err)
	}
	upload, err := srv.Client.Run(ctx, in.ID, "upload", client.RunInput{Params: map[string]any{
		"file": base64.StdEncoding.EncodeToString([]byte("PRIVATE FILE BYTES")), "client_secret": "cs_very_secret", "purpose": "avatar"}})
	if err != nil {
		t.Fatal(err)
	}
	logged := func(id string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			l, err := srv.Client.Log(ctx, id)
			if err == nil {
				return l.RequestBody
			}
			if time.Now().After(deadline) {
				t.Fatalf("log %s: %v", id, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := logged(signUp.LogID); got != "email=ada%40example.com&password=[REDACTED]" {
		t.Errorf("form body logged as %q", got)
	}
	got := logged(upload.LogID)
	if strings.Contains(got, "PRIVATE") || strings.Contains(got, "cs_very_secret") ||
		!strings.Contains(got, `file (file "file", application/octet-stream, 18 bytes)`) || !strings.Contains(got, "purpose: avatar") {
		t.Errorf("multipart body logged as %q", got)
	}
}
