// Package logging builds Plugboard's structured loggers and the redaction
// helpers that keep credentials out of every log and call record.
//
// [New] returns a log/slog logger, text or JSON, that masks attributes
// whose names look secret, at any group depth and inside structs and maps
// logged with slog.Any. It is meant to be created once, at startup, and
// passed down; packages never build their own.
//
// The other helpers serve code that records traffic, such as the outbound
// call log and webhook event log:
//
//   - [RedactHeaders] masks credential headers, keeping the auth scheme.
//   - [RedactJSON] masks secret-looking fields of a JSON body in one pass,
//     plus any literal secret the caller knows about (the connection's API
//     key, say), so a secret echoed back under an innocent name is caught
//     too.
//   - [RedactURL] masks userinfo and secret query parameters.
//
// All of them decide what is secret with [IsSecretKey], one rule for JSON
// fields, attributes, headers and query parameters, and all of them mask
// with the same marker, [Redacted], so a reader can search for it.
//
// Redaction by name is a safety net, not a guarantee: a secret stored under
// an innocent name is only caught when the caller passes it to RedactJSON.
// Credentials themselves should never reach a logger; see package vault.
package logging
