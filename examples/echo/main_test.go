package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestEchoAnswersWithWhatItReceived(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/contacts?x=1", strings.NewReader(`{"name": "Ada"}`))
	req.Header.Set("X-API-Key", "k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 201 || got["path"] != "/v1/contacts" || got["body"].(map[string]any)["name"] != "Ada" {
		t.Fatalf("echo answered %d %v (%v)", resp.StatusCode, got, err)
	}
	resp, err = http.Post(srv.URL+"/v1/contacts", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a key: %d", resp.StatusCode)
	}
}
