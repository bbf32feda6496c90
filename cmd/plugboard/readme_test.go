package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's way in: how to get the binary on the PATH, and a quick start
// whose shell lines set every variable they use before using it, with a
// definition that points at the stand-in API it starts.
func TestReadmeQuickStartSetsEveryVariableItUses(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "## Get `plugboard` on your PATH")
	end := strings.Index(readme, "## The rest of the product")
	if start < 0 || end < start {
		t.Fatal("the README has no PATH section followed by the quick start")
	}
	quick := readme[start:end]
	for _, want := range []string{"go install ./cmd/plugboard", "make build", "$(go env GOPATH)/bin"} {
		if !strings.Contains(quick, want) {
			t.Errorf("the README does not say %q", want)
		}
	}

	blocks := regexp.MustCompile("(?s)```(sh|json)\n(.*?)```").FindAllStringSubmatch(quick, -1)
	set := map[string]bool{"PATH": true, "PWD": true, "HOME": true}
	assign := regexp.MustCompile(`(?:^|\s)(?:export\s+)?([A-Z][A-Z0-9_]*)=`)
	use := regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*)`)
	var definition string
	for _, b := range blocks {
		if b[1] == "json" {
			definition = b[2]
			continue
		}
		for _, line := range strings.Split(b[2], "\n") {
			code, _, _ := strings.Cut(line, " # ") // comments may name variables freely
			for _, m := range use.FindAllStringSubmatch(code, -1) {
				if !set[m[1]] && !assign.MatchString(code[:strings.Index(code, m[0])]+" ") {
					t.Errorf("the quick start uses $%s before setting it: %s", m[1], strings.TrimSpace(line))
				}
			}
			for _, m := range assign.FindAllStringSubmatch(code, -1) {
				set[m[1]] = true
			}
		}
	}
	for _, need := range []string{"PLUGBOARD_TOKEN", "PLUGBOARD_ALLOW_PRIVATE_NETWORKS", "CRM_SANDBOX_KEY"} {
		if !set[need] {
			t.Errorf("the quick start never sets %s", need)
		}
	}
	var def struct {
		BaseURL string `json:"baseUrl"`
	}
	if err := json.Unmarshal([]byte(definition), &def); err != nil {
		t.Fatalf("the quick start's definition is not JSON: %v\n%s", err, definition)
	}
	if !strings.HasPrefix(def.BaseURL, "http://127.0.0.1:9090/") || !strings.Contains(quick, "go run ./examples/echo") {
		t.Fatalf("the definition's base URL %q is not the stand-in API the quick start runs (examples/echo on 127.0.0.1:9090)", def.BaseURL)
	}
}
