// Package netguard refuses outbound connections to addresses that an
// integration has no business reaching: loopback, private and link-local
// networks, cloud metadata endpoints and other non-public ranges.
//
// Integrations are defined by users, so every base URL, OpenAPI document URL
// and redirect target is untrusted. Checking the host name when a definition
// is saved is not enough: a name can resolve to a public address today and to
// 127.0.0.1 tomorrow (DNS rebinding), and a public server can redirect to an
// internal one. The guard therefore runs at dial time, on the IP address the
// socket is about to connect to, through [net.Dialer.Control]:
//
//	var g netguard.Guard
//	transport := &http.Transport{DialContext: g.DialContext}
//
// Every redirect hop and every retry opens its own connection, so each one is
// checked again after its own DNS resolution.
//
// [Guard.CheckHost] is the save-time companion: it resolves a host and
// reports the first refused address, so a user learns about a bad base URL
// before the first call fails.
//
// The zero [Guard] is strict. Setting AllowPrivate (the operator's
// PLUGBOARD_ALLOW_PRIVATE_NETWORKS switch) allows private networks for local
// development and on-premises APIs; cloud metadata endpoints stay refused even
// then, because nothing an integration does needs the host's credentials.
package netguard
