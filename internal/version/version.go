// Package version is Plugboard's version, read once from the build
// information the Go toolchain embeds: the module version of a release
// build (go install …@v1.2.3), else "dev" with the commit the binary was
// built from. `plugboard version`, the User-Agent of outbound calls, MCP's
// serverInfo and trace resources all show this one string.
package version

import (
	"runtime/debug"
	"strings"
)

// String is the version, e.g. "1.4.0" or "dev+3f9c2a1b7e0d" ("-dirty" when
// built from a modified work tree).
var String = read()

// UserAgent is what outbound calls send unless a definition sets its own.
var UserAgent = "Plugboard/" + String

func read() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev+" + rev
}
