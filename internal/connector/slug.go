package connector

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Slug turns a display name into a stable key: lower case ASCII letters and
// digits, every other run of characters becoming one underscore, with none
// at either end ("Create Contact" → "create_contact"). Keys end up in URLs
// and agent tool names, which accept only this alphabet.
func Slug(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}

// MaxToolName is the longest tool name given out. MCP allows 128
// characters, but OpenAI and Anthropic function names stop at 64, and a
// tool should have one name wherever it is used.
const MaxToolName = 64

// ToolName is the one name of an action as an agent's tool, wherever it
// appears (MCP, exports, the API, the dashboard): "<integration
// slug>__<action key>". Slugs and keys never hold two underscores in a
// row, so the double underscore splits a name unambiguously. A name longer
// than [MaxToolName] keeps its first 55 characters and ends with "_" and 8
// hex digits of the SHA-256 of the whole name: stable, readable, and
// distinct in practice.
func ToolName(slug, key string) string {
	name := slug + "__" + key
	if len(name) <= MaxToolName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return strings.TrimRight(name[:MaxToolName-9], "_") + "_" + hex.EncodeToString(sum[:4])
}
