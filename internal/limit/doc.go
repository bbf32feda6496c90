// Package limit enforces concurrency and rate limits per key, in one process
// or across every node of a cluster.
//
// Three small interfaces carry the policy: [Concurrency] caps how many calls
// for a key are in flight at once (the plan's "100 concurrent requests per
// integration"), [Rate] is a token bucket (a webhook's requests per
// second), and [Backoff] locks a key out after repeated failures, for windows
// that double (passwords guessed for an account, keys guessed from an
// address). Each has two implementations that behave the same:
//
//   - the local ones keep state in memory and suit a single `plugboard serve`;
//   - the Redis ones keep state in Redis, updated by Lua scripts so each
//     decision is atomic, and hold cluster-wide when PLUGBOARD_REDIS_URL is set.
//
// [New] picks between them from a Redis URL, empty meaning local.
//
// A concurrency slot in Redis is a lease with an expiry, renewed while it is
// held, so the slots of a node that crashes free themselves within a minute.
// The Redis limiters read the clock of the Redis server, not of the node, so
// nodes with drifting clocks still agree.
//
// When Redis cannot be reached the Redis limiters return the error rather
// than letting the call through: a limit that silently stops holding is worse
// than a clear failure.
package limit
