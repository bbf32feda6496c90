package api

import (
	"html/template"
	"net/http"
)

// page is the small page the OAuth 2.0 callback answers with.
type page struct {
	OK             bool
	Title, Message string
}

var pageTmpl = template.Must(template.New("oauth").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Plugboard</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:12vh auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem;color:{{if .OK}}#1a7f37{{else}}#cf222e{{end}}}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

func renderPage(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The callback URL carries the code; keep it out of Referer headers.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, p)
}
