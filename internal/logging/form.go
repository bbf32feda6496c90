package logging

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// RedactBody is RedactJSON for a body of the given Content-Type: a form
// (application/x-www-form-urlencoded) has the values of secret-looking
// keys masked, a bracketed key (card[cvc]) judged by each of its names; a
// multipart form is summarized one part a line, a file by its size only,
// a text part masked under a secret-looking name. Anything else is read
// as JSON.
func RedactBody(body []byte, contentType string, secrets ...string) []byte {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	switch mediaType {
	case "application/x-www-form-urlencoded":
		return replaceLiterals(redactForm(body), secrets)
	case "multipart/form-data":
		if summary, ok := summarizeMultipart(body, params["boundary"]); ok {
			return replaceLiterals(summary, secrets)
		}
		return []byte(fmt.Sprintf("[multipart body, %d bytes]", len(body)))
	}
	return RedactJSON(body, secrets...)
}

// redactForm masks the values of secret-looking keys and keeps the rest
// of the form as it was written.
func redactForm(body []byte) []byte {
	pairs := bytes.Split(body, []byte("&"))
	changed := false
	for i, p := range pairs {
		k, v, ok := bytes.Cut(p, []byte("="))
		if !ok || len(v) == 0 {
			continue
		}
		key, err := url.QueryUnescape(string(k))
		if err != nil || !secretFormKey(key) {
			continue
		}
		pairs[i] = append(append(bytes.Clone(k), '='), Redacted...)
		changed = true
	}
	if !changed {
		return bytes.Clone(body)
	}
	return bytes.Join(pairs, []byte("&"))
}

// secretFormKey judges a key and each bracketed name in it: card[cvc] is
// as secret as cvc.
func secretFormKey(key string) bool {
	for _, name := range strings.FieldsFunc(key, func(r rune) bool { return r == '[' || r == ']' }) {
		if isSecretKey(name) {
			return true
		}
	}
	return false
}

func summarizeMultipart(body []byte, boundary string) ([]byte, bool) {
	if boundary == "" {
		return nil, false
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var out bytes.Buffer
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out.Bytes(), true
		}
		if err != nil {
			return nil, false
		}
		content, err := io.ReadAll(p)
		if err != nil {
			return nil, false
		}
		fmt.Fprintf(&out, "%s", p.FormName())
		switch {
		case p.FileName() != "":
			fmt.Fprintf(&out, " (file %q, %s, %d bytes)\n", p.FileName(), p.Header.Get("Content-Type"), len(content))
		case isSecretKey(p.FormName()):
			fmt.Fprintf(&out, ": %s\n", Redacted)
		case p.Header.Get("Content-Type") == "application/json":
			fmt.Fprintf(&out, ": %s\n", RedactJSON(content))
		default:
			fmt.Fprintf(&out, ": %s\n", content)
		}
	}
}
