package web_test

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plugboard/plugboard/internal/server/servertest"
)

// updateScreenshots makes the browser tests also save the documentation
// screenshots: go test ./internal/web -run Browser -screenshots
var updateScreenshots = flag.Bool("screenshots", false, "save the main pages to docs/screenshots/*.png")

// chromium finds Debian's chromium (or another Chrome); browser tests are
// skipped without one, except under CI=true where that is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PLUGBOARD_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("browser tests need chromium under CI: apt-get install -y chromium (or set PLUGBOARD_CHROMIUM)")
	}
	t.Skip("browser tests skipped: no chromium found (apt-get install -y chromium, or set PLUGBOARD_CHROMIUM)")
	return ""
}

// browser is one headless Chromium with a fresh profile, driving pages of
// a test server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Registered last, so it runs first: the tab is still open.
	t.Cleanup(func() {
		if t.Failed() {
			b.failureShot()
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return b
}

func (b *browser) failureShot() {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("failure screenshot: %v", err)
		return
	}
	dir, err := os.MkdirTemp("", "plugboard-browser-")
	if err != nil {
		b.t.Logf("failure screenshot: %v", err)
		return
	}
	p := filepath.Join(dir, sanitize(b.t.Name())+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("failure screenshot: %v", err)
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.t.Logf("screenshot of the page at failure (%s): %s", loc, p)
}

func sanitize(s string) string {
	return regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(s, "_")
}

// do runs steps with a bound, failing the test with what it was doing.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read text of %s: %v", sel, err)
	}
	return s
}

// waitText waits until the element sel contains want. It checks again
// across page loads, which a form post causes.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	expr := `(() => { const el = document.querySelector(` + jsString(sel) + `); return !!el && el.textContent.includes(` + jsString(want) + `); })()`
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	got, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+jsString(sel)+`)||{textContent:"(no element)"}).textContent`))
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("waiting for %q in %s at %s; it reads %q", want, sel, loc, strings.TrimSpace(got))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// fill sets an input's value as typing would.
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.SetValue(chromedp.CSS(sel), value)
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// shot saves the current page to docs/screenshots/<name>.png when the
// -screenshots flag is set.
func (b *browser) shot(name string) {
	b.t.Helper()
	if !*updateScreenshots {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// deployCRM creates the seed's Custom CRM on the API at upstream through
// the REST API, connects its sandbox and deploys it.
func deployCRM(t *testing.T, in *servertest.Instance, upstream string) {
	t.Helper()
	ctx := context.Background()
	def := strings.Replace(seedCRM, "https://api.customcrm.com/v1", upstream+"/v1", 1)
	var made struct{ ID string }
	if err := in.Client.Do(ctx, "POST", "/v1/integrations", []byte(def), &made); err != nil {
		t.Fatal(err)
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/connections", map[string]any{"environment": "sandbox", "credentials": map[string]string{"api_key": crmKey}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := in.Client.Do(ctx, "POST", "/v1/integrations/"+made.ID+"/deploy", nil, nil); err != nil {
		t.Fatal(err)
	}
}

// firstLink reads the one-time owner link the server printed at start.
func firstLink(t *testing.T, in *servertest.Instance) string {
	t.Helper()
	m := regexp.MustCompile(`http://[^\s"]+/signin/first\?token=[A-Za-z0-9_]+`).FindString(in.Logs.String())
	if m == "" {
		t.Fatalf("the server printed no first sign-in link; output:\n%s", in.Logs.String())
	}
	return m
}

// signInFirst follows the owner's link, sets email and password, and ends
// on the integrations page.
func (b *browser) signInFirst(link, email, password string) {
	b.t.Helper()
	b.do("open the first sign-in link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password")))
	b.shot("signin-first")
	b.do("set the owner's password",
		fill("#email", email), fill("#name", "Ada Owner"),
		chromedp.SendKeys(chromedp.CSS("#password"), password), chromedp.SendKeys(chromedp.CSS("#confirm"), password),
		click("button[type=submit].primary"),
	)
	b.waitText("main h1", "Integrations")
}

// reloadUntil opens path again until sel contains want: for pages that
// show data written in the background (the call log is buffered).
func (b *browser) reloadUntil(path, sel, want string) {
	b.t.Helper()
	expr := `(() => { const el = document.querySelector(` + jsString(sel) + `); return !!el && el.textContent.includes(` + jsString(want) + `); })()`
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b.open(path)
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](expr)); err == nil && ok {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	b.t.Fatalf("%s never showed %q in %s", path, want, sel)
}

// phone narrows the viewport to a phone's width, or back to a laptop's.
func (b *browser) phone(on bool) {
	b.t.Helper()
	if on {
		b.do("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		return
	}
	b.do("laptop width", chromedp.EmulateViewport(1280, 900))
}

// fitsWidth fails when the page scrolls sideways: everything must fit the
// viewport (tables scroll inside their own box). Every link of the main
// navigation and of an integration's step tabs must show whole, not be
// clipped by its menu or hidden in a sideways scroll.
func (b *browser) fitsWidth(path string) {
	b.t.Helper()
	b.open(path)
	over, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		b.t.Fatal(err)
	}
	if over {
		b.t.Errorf("%s is wider than the viewport", path)
	}
	hidden, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](offScreenLinks))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(hidden) > 0 {
		b.t.Errorf("%s: these menu links do not show whole at this width: %q", path, hidden)
	}
}

const offScreenLinks = `Array.from(document.querySelectorAll(".main-nav a, .steps a")).filter(a => {
  const r = a.getBoundingClientRect(), box = a.parentElement.getBoundingClientRect();
  return r.left < -1 || r.right > window.innerWidth + 1 || r.left < box.left - 1 || r.right > box.right + 1 || r.width === 0;
}).map(a => a.textContent.trim())`

// location is the path of the page open now.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(loc, b.base)
}

// unlabelled lists the form controls of the current page that have no
// label: neither a <label for>, an enclosing <label>, nor an aria-label.
const unlabelled = `Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => el.type !== "hidden" && !el.closest("template"))
  .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]')) && !el.closest("label") && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))`

func (b *browser) labelled(path string) {
	b.t.Helper()
	b.open(path)
	missing, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](unlabelled))
	if err != nil {
		b.t.Fatal(err)
	}
	if len(missing) > 0 {
		b.t.Errorf("%s has inputs without a label: %v", path, missing)
	}
	// The first Tab reaches the skip link, so keyboard users can jump
	// past the navigation.
	b.do("tab", chromedp.KeyEvent("\t"))
	focused, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.textContent : ""`))
	if !strings.Contains(focused, "Skip to content") {
		b.t.Errorf("%s: the first Tab focuses %q, want the skip link", path, focused)
	}
}
