package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// assets are the embedded static files, each served at a URL carrying a
// checksum of its content (/static/app.1a2b3c4d5e.css). The URL changes
// whenever the file does, so it may be cached for a year.
type assets struct {
	byURL  map[string]asset  // "app.1a2b3c4d5e.css" → file
	byName map[string]string // "app.css" → "/static/app.1a2b3c4d5e.css"
}

type asset struct {
	body        []byte
	contentType string
}

func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{byURL: map[string]asset{}, byName: map[string]string{}}
	err := fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byURL[hashed] = asset{body: body, contentType: ct}
		a.byName[name] = "/static/" + hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load dashboard assets: %w", err)
	}
	return a, nil
}

// url returns the checksummed URL of an asset; templates call it as
// {{asset "app.css"}}. An unknown name is a programming error caught by
// the template tests.
func (a *assets) url(name string) (string, error) {
	u, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return u, nil
}

func (wb *Web) static(w http.ResponseWriter, r *http.Request) {
	f, ok := wb.assets.byURL[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(f.body)
}
