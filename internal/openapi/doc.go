// Package openapi turns an OpenAPI 3.0 or 3.1 document, or a Swagger 2.0
// one, into a Plugboard integration definition.
//
// Import reads the document (JSON or YAML), converts Swagger 2.0 to OpenAPI 3
// first, and then maps it onto [connector.Definition]:
//
//   - the base URL comes from a server entry, with its variables set to their
//     defaults, or from Options.ServerURL;
//   - every operation becomes an action whose key is its operationId made
//     into a snake_case slug ("repos/get" becomes "repos_get", "getPetById"
//     "get_pet_by_id"), or the method and path when it has none;
//   - path, query and header parameters, and the top-level fields of a JSON,
//     form or multipart request body, become the action's parameters, each
//     with a small JSON Schema of its own, and keep how the document says
//     they are written (style and explode, Swagger 2.0's collectionFormat,
//     a form's encoding);
//   - a default is what the server assumes when a value is left out: it is
//     told in the parameter's description and never sent;
//   - a write operation whose body cannot be sent as the document says is
//     left out whole rather than imported without it;
//   - the security scheme the document asks for becomes the integration's
//     auth.
//
// The definition is held to the connector package's validation rules before
// it is returned, so saving it never fails on something the document said.
//
// Nothing is dropped silently: whatever could not be imported, or was
// imported only in part, is listed in the returned [Report] with a reason,
// so that a person can see what to add by hand.
//
// A document may only refer to itself: references to other files or URLs
// are refused, so that importing an untrusted document never reads the
// local disk or the network. To import a document that lives at a URL, get
// its bytes with [Fetch] through an HTTP client that applies the SSRF guard.
package openapi
