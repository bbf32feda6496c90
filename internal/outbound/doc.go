// Package outbound is the one path for every HTTP call Plugboard makes to a
// third-party API: action calls, connection tests, OAuth token requests and
// OpenAPI document fetches.
//
// Routing every call through one [Client] keeps the promises the product
// makes in one place:
//
//   - no call reaches a private, loopback or metadata address, checked on
//     the dialed IP of every connection, redirects included (see netguard);
//   - credentials attached by [Request.Prepare] go only to the origin of
//     the call: a redirect to another origin is followed without them, or
//     refused under [SameOriginRedirects];
//   - one call takes at most 30 s, sends at most 10 MiB and reads at most
//     10 MiB, and a body over the cap is an error, never silently cut short;
//   - at most 100 calls per integration are in flight, locally or across the
//     cluster through a shared [limit.Concurrency];
//   - transient failures are retried with exponential backoff and full
//     jitter, honouring Retry-After, but only when repeating the request is
//     safe: idempotent methods, or any method with an idempotency key.
//
// A call is described by a [Request] and answered with a [Response] whose
// body is already read:
//
//	client, err := outbound.New(outbound.Config{Logger: logger})
//	...
//	res, err := client.Do(ctx, &outbound.Request{
//		Key:    integrationID,
//		Method: http.MethodGet,
//		URL:    "https://api.example.com/v1/contacts?email=a@example.com",
//		Prepare: func(r *http.Request) error {
//			r.Header.Set("Authorization", "Bearer "+token())
//			return nil
//		},
//	})
//
// Errors are typed so callers can answer users precisely: a
// [*netguard.BlockedError] for a refused address, a [*TooLargeError] for a
// body over the cap, [ErrTimeout] for the time limit and
// [limit.ErrTooManyConcurrent] for the concurrency cap; all work with
// errors.As and errors.Is. Error messages and logs leave out the query
// string and user info of URLs, where API keys often travel.
//
// Libraries that insist on an *http.Client get one from [Client.HTTPClient],
// with the same guard, time limit and response cap but without retries or the
// per-key concurrency cap.
package outbound
