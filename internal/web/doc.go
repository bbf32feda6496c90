// Package web is the dashboard: server-rendered pages for building,
// testing, deploying and watching integrations, served by the same binary
// as the REST API.
//
// Pages are html/template files embedded in the binary; a little
// hand-written JavaScript enhances them (copy buttons, showing only the
// fields an auth method needs, adding parameter rows) and every page works
// without it. Stylesheets and scripts are served at URLs that carry a
// checksum of their content, so browsers may cache them for a year and
// still see a new release at once.
//
// Members sign in with email and password (argon2id). The session lives
// in the database, the cookie carries only a random token, and every form
// carries a per-session CSRF token checked on each non-GET request.
//
// Handlers are thin: they decide through the same authorization function
// as the REST API (api.Authorize) and call the domain packages
// (connector, store, executor) directly. routes.go is the whole route
// table; each page has a small file named after what it does.
package web
