package logging

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"
)

func TestRedactBodyForm(t *testing.T) {
	t.Parallel()
	body := []byte("email=a%40b.c&password=hunter2&auth%5Bapi_key%5D=k1&card%5Bexp_month%5D=4&note=sk_live_1")
	got := string(RedactBody(body, "application/x-www-form-urlencoded; charset=utf-8", "sk_live_1"))
	want := "email=a%40b.c&password=" + Redacted + "&auth%5Bapi_key%5D=" + Redacted + "&card%5Bexp_month%5D=4&note=" + Redacted
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestRedactBodyMultipart(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("purpose", "avatar")
	_ = w.WriteField("api_secret", "s3cr3t")
	f, _ := w.CreateFormFile("file", "a.png")
	_, _ = f.Write([]byte("\x89PNG binary"))
	_ = w.Close()
	got := string(RedactBody(buf.Bytes(), w.FormDataContentType()))
	want := "purpose: avatar\napi_secret: " + Redacted + "\nfile (file \"a.png\", application/octet-stream, 11 bytes)\n"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if strings.Contains(got, "PNG") {
		t.Errorf("the file's bytes are logged")
	}
}
