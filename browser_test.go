//go:build !js

package main

// Browser tests: the real app.wasm in headless Chromium (chromedp) against
// the real server (startServer) and its fake OpenAI-compatible LLM. Every
// page talks to the server through a small recording proxy, so a test can
// see which endpoints the app used and can cut a stream mid-answer.
//
// They need app.wasm embedded (make wasm; make test does it first) and
// Chromium. Without Chromium they skip loudly; with CI=true they fail.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	v1 "ragchat/api/v1"
	"ragchat/app"
	"ragchat/internal/fakellm"
)

var screenshotPath = flag.String("screenshot", "", "also save TestBrowserSSE's screenshot of the answered chat here (e.g. docs/screenshot.png)")

// chromiumPath finds the browser, or skips (fails in CI) without one.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("RAGCHAT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "!!! BROWSER TESTS SKIPPED: no chromium found (apt-get install chromium, or set RAGCHAT_CHROMIUM) !!!"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func requireWasm(t testing.TB) {
	t.Helper()
	if !app.WasmBuilt() {
		t.Fatal("web/wasm/app.wasm is not embedded: run `make wasm` (make test does) before the browser tests")
	}
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab. langs is the browser's language list; scripts run in every page
// before the app does.
func newBrowser(t testing.TB, langs []string, scripts ...string) context.Context {
	t.Helper()
	requireWasm(t)
	return startBrowser(t, langs, scripts...)
}

// startBrowser is newBrowser for pages other than the app (no app.wasm needed).
func startBrowser(t testing.TB, langs []string, scripts ...string) context.Context {
	t.Helper()
	bin := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 800),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", langs[0]),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })

	// navigator.languages decides the UI language; pin it so the test does
	// not depend on how the browser build reads --lang.
	langJSON, _ := json.Marshal(langs)
	scripts = append([]string{fmt.Sprintf(`(() => {
		const langs = %s;
		Object.defineProperty(Navigator.prototype, "languages", {get: () => langs});
		Object.defineProperty(Navigator.prototype, "language", {get: () => langs[0]});
	})();`, langJSON), statusRecorder}, scripts...)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, s := range scripts {
			if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: s}); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// statusRecorder keeps every text the status line shows, so a test can
// check the stages it went through however fast they passed.
const statusRecorder = `(() => {
	window.__statuses = [];
	new MutationObserver(() => {
		const el = document.getElementById("status");
		const s = el ? el.textContent : "";
		const all = window.__statuses;
		if (s && all[all.length - 1] !== s) all.push(s);
	}).observe(document, {subtree: true, childList: true, characterData: true});
})();`

// within runs f with a deadline; chromedp actions fail when it passes.
func within(t testing.TB, ctx context.Context, d time.Duration, what string, f func(ctx context.Context) error) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := f(c); err != nil {
		shot, _ := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if len(shot) > 0 {
			p := filepath.Join(artifactDir(t), "failure.png")
			_ = os.WriteFile(p, shot, 0o644)
			t.Logf("screenshot of the failure: %s", p)
		}
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("chat") ? document.getElementById("chat").outerHTML : document.documentElement.outerHTML`))
		t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
	}
}

func artifactDir(t testing.TB) string {
	if tt, ok := t.(*testing.T); ok {
		return tt.ArtifactDir()
	}
	return os.TempDir()
}

// waitJS polls a JS expression until it is truthy.
func waitJS(t testing.TB, ctx context.Context, d time.Duration, expr string) {
	t.Helper()
	within(t, ctx, d, "waiting for "+expr, func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d)))
		return err
	})
}

func evalJS[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// openApp loads the page, clicks into the composer (app.wasm starts at the
// first sign of use, see web/static/boot.js) and waits until the app runs.
func openApp(t testing.TB, ctx context.Context, u string) {
	t.Helper()
	within(t, ctx, 60*time.Second, "load "+u, func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Navigate(u),
			chromedp.WaitEnabled(chromedp.ID("composer")),
			chromedp.Click(chromedp.ID("composer")),
			chromedp.WaitVisible(chromedp.CSS(`#chat[data-ready="true"] #composer`)),
		)
	})
}

// ask types q into the composer and sends it with Enter.
func ask(t testing.TB, ctx context.Context, q string) {
	t.Helper()
	within(t, ctx, 20*time.Second, "ask", func(ctx context.Context) error {
		return chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("composer")),
			chromedp.SendKeys(chromedp.ID("composer"), q),
			pressEnter(),
		)
	})
}

// pressEnter sends Enter's key down and up. chromedp.KeyEvent("\r") adds a
// separate char event, which types a newline even when the page cancelled
// the key down, unlike a real keyboard.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			_, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

const lastAnswer = `document.querySelector("#messages .msg-assistant:last-child")`

// waitAnswered waits for the last answer to end and returns its text.
func waitAnswered(t testing.TB, ctx context.Context, status string) string {
	t.Helper()
	waitJS(t, ctx, 45*time.Second, fmt.Sprintf(`(() => { const m = %s; return !!m && m.dataset.status === %q && document.getElementById("chat").dataset.state === "idle"; })()`, lastAnswer, status))
	return strings.TrimSpace(evalJS[string](t, ctx, lastAnswer+`.querySelector(".answer").textContent`))
}

// storedAnswer is the server's copy of the last answer of the conversation
// the page shows.
func storedAnswer(t testing.TB, ctx context.Context, base string) v1.Message {
	t.Helper()
	waitJS(t, ctx, 10*time.Second, `!!document.querySelector(".conv.active")`)
	id := evalJS[string](t, ctx, `document.querySelector(".conv.active").dataset.id`)
	resp, err := http.Get(base + "/api/v1/conversations/" + url.PathEscape(id))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d v1.ConversationDetail
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || len(d.Messages) == 0 {
		t.Fatalf("conversation %s: %v (%d messages)", id, err, len(d.Messages))
	}
	return d.Messages[len(d.Messages)-1]
}

func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	p := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(p, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if *screenshotPath != "" && name == "chat-sse.png" {
		if err := os.WriteFile(*screenshotPath, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recordingProxy forwards to the server, records each request, and can cut
// the first chat stream after some token events, as a dropped connection
// would. On the browser's reconnect it sends the last event before the cut
// once more, as an overlapping replay would, so the test also proves that
// the app drops events it already applied.
type recordingProxy struct {
	URL string

	down atomic.Bool // every request fails, as if the server were gone
	// holdWasm, if set, holds app.wasm's responses until it is closed.
	holdWasm chan struct{}

	mu        sync.Mutex
	requests  []string // "METHOD path?query"
	lastIDs   []string // Last-Event-ID headers received
	cutAfter  int      // token events; 0 = never cut
	cutDone   bool
	lastBlock []byte // the last event forwarded before the cut
}

func newRecordingProxy(t testing.TB, base string, cutAfter int) *recordingProxy {
	t.Helper()
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingProxy{cutAfter: cutAfter}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.ModifyResponse = p.modify
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.down.Load() {
			panic(http.ErrAbortHandler) // the connection drops: a network error
		}
		p.mu.Lock()
		p.requests = append(p.requests, r.Method+" "+r.URL.RequestURI())
		if id := r.Header.Get("Last-Event-ID"); id != "" {
			p.lastIDs = append(p.lastIDs, id)
		}
		p.mu.Unlock()
		if p.holdWasm != nil && r.URL.Path == "/web/app.wasm" {
			<-p.holdWasm
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *recordingProxy) modify(resp *http.Response) error {
	if resp.Request.URL.Path != "/api/v1/chat/stream" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if resp.Request.Header.Get("Last-Event-ID") != "" && p.lastBlock != nil {
		replay := p.lastBlock
		p.lastBlock = nil
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(replay), resp.Body), resp.Body}
		return nil
	}
	if p.cutAfter > 0 && !p.cutDone {
		p.cutDone = true
		resp.Body = &cuttingBody{p: p, src: bufio.NewReader(resp.Body), closer: resp.Body, left: p.cutAfter}
	}
	return nil
}

func (p *recordingProxy) sawRequest(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		if strings.HasPrefix(r, prefix) {
			return true
		}
	}
	return false
}

// cuttingBody passes whole SSE events through and ends the body after
// `left` token events.
type cuttingBody struct {
	p      *recordingProxy
	src    *bufio.Reader
	closer io.Closer
	left   int
	buf    []byte
	ended  bool
}

func (c *cuttingBody) Read(b []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.ended {
			return 0, io.EOF
		}
		var block []byte
		for {
			line, err := c.src.ReadBytes('\n')
			block = append(block, line...)
			if err != nil {
				if len(block) == 0 {
					return 0, err
				}
				break
			}
			if len(line) == 1 { // blank line: end of the event
				break
			}
		}
		c.buf = block
		if bytes.Contains(block, []byte(`"type":"token"`)) {
			c.p.mu.Lock()
			c.p.lastBlock = block
			c.p.mu.Unlock()
			if c.left--; c.left == 0 {
				c.ended = true
			}
		}
	}
	n := copy(b, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *cuttingBody) Close() error { return c.closer.Close() }

// slowAnswer is a scripted answer long enough to interrupt.
const slowAnswer = "Server-Sent Events stream the answer over one plain HTTP response, " +
	"token by token, and the browser reconnects by itself when the connection drops, " +
	"sending the id of the last event it saw so that the server can continue from there [1]."

// plainAnswer is a scripted answer without Markdown, so the text the page
// shows must equal the text the server streamed and stored.
var plainAnswer = fakellm.Words("ragchat streams answers with Server-Sent Events: one HTTP response, " +
	"token by token, with a REST fallback for browsers without EventSource [1]. " +
	"A dropped connection resumes from the last event id [2].")

func TestBrowserSSE(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: plainAnswer, FirstTokenDelay: 300 * time.Millisecond, TokenDelay: 20 * time.Millisecond})
	proxy := newRecordingProxy(t, base, 0)
	ctx := newBrowser(t, []string{"en-US", "en"})
	openApp(t, ctx, proxy.URL+"/")

	if got := evalJS[string](t, ctx, `document.getElementById("chat").dataset.transport`); got != "sse" {
		t.Fatalf("data-transport = %q, want sse", got)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("transport").textContent`); got != "SSE" {
		t.Errorf("transport badge = %q", got)
	}
	ask(t, ctx, "What is SSE and why did ragchat choose it?")
	got := waitAnswered(t, ctx, "complete")

	stored := storedAnswer(t, ctx, base)
	if want := strings.TrimSpace(strings.Join(plainAnswer, "")); got != want || got != strings.TrimSpace(stored.Content) {
		t.Errorf("answer shown %q\nstreamed %q\nserver's answer %q", got, want, stored.Content)
	}
	if v := evalJS[string](t, ctx, `document.getElementById("composer").value`); v != "" {
		t.Errorf("composer still holds %q after sending", v)
	}
	statuses := evalJS[[]string](t, ctx, `window.__statuses`)
	if !contains(statuses, "Searching documents...") || !contains(statuses, "Generating answer...") {
		t.Errorf("status line went through %q", statuses)
	}
	nSources := evalJS[int](t, ctx, lastAnswer+`.querySelectorAll(".source-card").length`)
	if nSources == 0 || nSources != len(stored.Sources) {
		t.Errorf("%d source cards, server has %d sources", nSources, len(stored.Sources))
	}
	// [1] jumps to and highlights its source card.
	within(t, ctx, 10*time.Second, "click [1]", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#messages .msg-assistant:last-child .cite[data-n="1"]`)))
	})
	waitJS(t, ctx, 5*time.Second, lastAnswer+`.querySelector('.source-card.highlight[data-n="1"]') !== null`)
	if !proxy.sawRequest("GET /api/v1/chat/stream?") || proxy.sawRequest("POST /api/v1/chat") {
		t.Errorf("requests: %q", proxy.requests)
	}
	saveScreenshot(t, ctx, "chat-sse.png")
}

func TestBrowserREST(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: plainAnswer, TokenDelay: 10 * time.Millisecond})
	proxy := newRecordingProxy(t, base, 0)
	ctx := newBrowser(t, []string{"en-US"}, `delete window.EventSource;`)
	openApp(t, ctx, proxy.URL+"/")

	if got := evalJS[string](t, ctx, `document.getElementById("chat").dataset.transport`); got != "rest" {
		t.Fatalf("data-transport = %q, want rest", got)
	}
	if got := evalJS[string](t, ctx, `document.getElementById("transport").textContent`); got != "REST" {
		t.Errorf("transport badge = %q", got)
	}
	ask(t, ctx, "What is SSE and why did ragchat choose it?")
	got := waitAnswered(t, ctx, "complete")
	stored := storedAnswer(t, ctx, base)
	if got == "" || got != strings.TrimSpace(stored.Content) {
		t.Errorf("answer shown %q, server's answer %q", got, stored.Content)
	}
	if n := evalJS[int](t, ctx, lastAnswer+`.querySelectorAll(".source-card").length`); n == 0 {
		t.Error("no source cards")
	}
	if statuses := evalJS[[]string](t, ctx, `window.__statuses`); !contains(statuses, "Generating answer...") {
		t.Errorf("status line went through %q", statuses)
	}
	if !proxy.sawRequest("POST /api/v1/chat") || proxy.sawRequest("GET /api/v1/chat/stream") || proxy.sawRequest("POST /api/v1/chat/stream") {
		t.Errorf("requests: %q", proxy.requests)
	}
	saveScreenshot(t, ctx, "chat-rest.png")
}

func TestBrowserStop(t *testing.T) {
	base, llm := startServer(t, nil)
	tokens := fakellm.Words(slowAnswer + " " + slowAnswer + " " + slowAnswer)
	llm.SetScript(fakellm.Script{Tokens: tokens, TokenDelay: 150 * time.Millisecond})
	ctx := newBrowser(t, []string{"en-US"})
	openApp(t, ctx, base+"/")
	ask(t, ctx, "Explain SSE at length.")

	// Stop once a few words are in.
	waitJS(t, ctx, 30*time.Second, `(() => { const a = `+lastAnswer+`; return !!a && a.querySelector(".answer").textContent.split(" ").length > 4; })()`)
	within(t, ctx, 10*time.Second, "click stop", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.ID("stop")))
	})
	got := waitAnswered(t, ctx, "stopped")
	full := strings.Join(tokens, "")
	if got == "" || !strings.HasPrefix(strings.TrimSpace(full), got) || len(got) >= len(strings.TrimSpace(full)) {
		t.Errorf("partial answer %q is not a strict prefix of %q", got, full)
	}
	if !evalJS[bool](t, ctx, lastAnswer+`.querySelector(".msg-note.stopped") !== null`) {
		t.Error("the answer is not marked stopped")
	}
	stored := storedAnswer(t, ctx, base)
	if stored.Status != "stopped" || strings.TrimSpace(stored.Content) != got {
		t.Errorf("server kept %q (%s), page shows %q", stored.Content, stored.Status, got)
	}
	// Stopping the run also ends the LLM request.
	deadline := time.Now().Add(10 * time.Second)
	for llm.Active() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if llm.Active() > 0 {
		t.Error("the LLM request is still running after Stop")
	}
}

func TestBrowserResumeAfterDrop(t *testing.T) {
	base, llm := startServer(t, nil)
	tokens := fakellm.Words(slowAnswer)
	llm.SetScript(fakellm.Script{Tokens: tokens, TokenDelay: 40 * time.Millisecond})
	proxy := newRecordingProxy(t, base, 4)
	ctx := newBrowser(t, []string{"en-US"})
	openApp(t, ctx, proxy.URL+"/")
	ask(t, ctx, "How does a dropped stream resume?")
	got := waitAnswered(t, ctx, "complete")

	if want := strings.TrimSpace(strings.Join(tokens, "")); got != want {
		t.Errorf("answer after the drop:\n got %q\nwant %q", got, want)
	}
	proxy.mu.Lock()
	ids := proxy.lastIDs
	proxy.mu.Unlock()
	if len(ids) == 0 {
		t.Fatalf("the browser never reconnected with Last-Event-ID: the stream was not cut; requests %q", proxy.requests)
	}
	if _, _, ok := strings.Cut(ids[0], ":"); !ok {
		t.Errorf("Last-Event-ID %q is not <run_id>:<seq>", ids[0])
	}
	if n := llm.Calls(); n != 1 {
		t.Errorf("the LLM was asked %d times; a resume must not ask again", n)
	}
	if stored := storedAnswer(t, ctx, base); strings.TrimSpace(stored.Content) != got {
		t.Errorf("server kept %q, page shows %q", stored.Content, got)
	}
}

func TestBrowserKorean(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: fakellm.Words("SSE는 서버가 브라우저로 답변을 토큰 단위로 보내는 방식입니다 [1]. 연결이 끊겨도 마지막 이벤트부터 이어집니다 [2]."),
		FirstTokenDelay: 300 * time.Millisecond, TokenDelay: 20 * time.Millisecond})
	proxy := newRecordingProxy(t, base, 0)
	ctx := newBrowser(t, []string{"ko-KR", "ko", "en-US"})
	openApp(t, ctx, proxy.URL+"/")

	if lang := evalJS[string](t, ctx, `document.getElementById("chat").dataset.lang`); lang != "ko" {
		t.Fatalf("UI language %q, want ko", lang)
	}
	if send := evalJS[string](t, ctx, `document.getElementById("send").textContent`); send != "보내기" {
		t.Errorf("send button %q", send)
	}
	ask(t, ctx, "SSE는 무엇이고 왜 선택했나요?")
	got := waitAnswered(t, ctx, "complete")
	if stored := storedAnswer(t, ctx, base); got == "" || got != strings.TrimSpace(stored.Content) {
		t.Errorf("answer shown %q, server's %q", got, stored.Content)
	}
	statuses := evalJS[[]string](t, ctx, `window.__statuses`)
	if !contains(statuses, "문서 검색 중...") || !contains(statuses, "답변 생성 중...") {
		t.Errorf("status line went through %q", statuses)
	}
	if !proxy.sawRequest("GET /api/v1/chat/stream?") || !proxy.sawRequestWith("/api/v1/chat/stream?", "lang=ko") {
		t.Errorf("requests: %q", proxy.requests)
	}
	saveScreenshot(t, ctx, "chat-ko.png")

	// The switch turns the UI to English and remembers it.
	within(t, ctx, 10*time.Second, "switch language", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Click(chromedp.ID("lang-switch")))
	})
	waitJS(t, ctx, 5*time.Second, `document.getElementById("send").textContent === "Send"`)
}

// TestBrowserQuestionLimit: the composer counts against and enforces the
// server's --max-message-chars, not a limit built into the app.
func TestBrowserQuestionLimit(t *testing.T) {
	base, llm := startServer(t, map[string]string{"RAGCHAT_MAX_MESSAGE_CHARS": "50"})
	proxy := newRecordingProxy(t, base, 0)
	ctx := newBrowser(t, []string{"en-US"})
	openApp(t, ctx, proxy.URL+"/")
	ask(t, ctx, strings.Repeat("x", 60))
	waitJS(t, ctx, 5*time.Second, `(document.getElementById("notice") || {}).textContent?.includes("50")`)
	if counter := evalJS[string](t, ctx, `(document.querySelector(".counter") || {}).textContent || ""`); counter != "60 / 50" {
		t.Errorf("counter %q, want \"60 / 50\"", counter)
	}
	if proxy.sawRequest("GET /api/v1/chat/stream?") || llm.Calls() != 0 {
		t.Error("a question over the server's limit was sent")
	}
}

// TestBrowserShell: the prerendered composer works before app.wasm runs
// (web/static/boot.js): a question sent then is asked once the app has
// started, and a draft typed then is still there afterwards.
func TestBrowserShell(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: plainAnswer, TokenDelay: 5 * time.Millisecond})
	for _, tc := range []struct {
		name, typed string
		send        bool
	}{
		{"question", "What is SSE?", true},
		{"draft", "half a questi", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := newRecordingProxy(t, base, 0)
			proxy.holdWasm = make(chan struct{})
			ctx := newBrowser(t, []string{"en-US"})
			within(t, ctx, 30*time.Second, "type into the shell", func(ctx context.Context) error {
				acts := []chromedp.Action[chromedp.Void]{
					chromedp.Navigate(proxy.URL + "/"),
					chromedp.WaitEnabled(chromedp.ID("composer")),
					chromedp.Click(chromedp.ID("composer")),
					chromedp.SendKeys(chromedp.ID("composer"), tc.typed),
				}
				if tc.send {
					acts = append(acts, pressEnter())
				}
				return chromedp.Do(ctx, acts...)
			})
			if ready := evalJS[string](t, ctx, `document.getElementById("chat").dataset.ready || ""`); ready == "true" {
				t.Fatal("the app runs although app.wasm is held back")
			}
			want := map[bool]string{true: "pending", false: "draft"}[tc.send]
			if got := evalJS[string](t, ctx, `window.ragchatShell.`+want); got != tc.typed {
				t.Fatalf("shell %s = %q, want %q", want, got, tc.typed)
			}
			close(proxy.holdWasm)
			waitJS(t, ctx, 60*time.Second, `document.getElementById("chat").dataset.ready === "true"`)
			if !tc.send {
				if v := evalJS[string](t, ctx, `document.getElementById("composer").value`); v != tc.typed {
					t.Errorf("composer holds %q after the app started, want %q", v, tc.typed)
				}
				return
			}
			got := waitAnswered(t, ctx, "complete")
			if q := evalJS[string](t, ctx, `document.querySelector("#messages .msg-user").textContent`); !strings.Contains(q, tc.typed) {
				t.Errorf("question shown %q, want %q", q, tc.typed)
			}
			if want := strings.TrimSpace(strings.Join(plainAnswer, "")); got != want {
				t.Errorf("answer %q, want %q", got, want)
			}
		})
	}
}

// TestBrowserOffline: once the service worker has cached the app, the page
// loads without the server and says the server is unreachable.
func TestBrowserOffline(t *testing.T) {
	base, _ := startServer(t, nil)
	proxy := newRecordingProxy(t, base, 0)
	ctx := newBrowser(t, []string{"en-US"})
	openApp(t, ctx, proxy.URL+"/")
	waitJS(t, ctx, 30*time.Second, `!!navigator.serviceWorker.controller`)
	waitJS(t, ctx, 30*time.Second, `caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then(c => c.keys())))).then(l => l.flat().some(r => r.url.endsWith("/web/app.wasm")))`)

	proxy.down.Store(true)
	openApp(t, ctx, proxy.URL+"/")
	waitJS(t, ctx, 30*time.Second, `!!document.getElementById("unreachable")`)
	if text := evalJS[string](t, ctx, `document.getElementById("unreachable").textContent`); !strings.Contains(text, "unreachable") {
		t.Errorf("banner says %q", text)
	}
	// Asking now fails with a message and a Retry button, not a broken page.
	ask(t, ctx, "Is anyone there?")
	waitJS(t, ctx, 30*time.Second, lastAnswer+` && `+lastAnswer+`.dataset.status === "error" && !!`+lastAnswer+`.querySelector("button.retry")`)
	saveScreenshot(t, ctx, "offline.png")
}

func (p *recordingProxy) sawRequestWith(path, part string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.requests {
		if strings.Contains(r, path) && strings.Contains(r, part) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestBrowserDocsCSP: /docs (Swagger UI) still works under its
// Content-Security-Policy: the page renders the API's operations, and the
// browser reports no CSP violation (its inline scripts are allowed by
// hash, nothing else).
func TestBrowserDocsCSP(t *testing.T) {
	base, _ := startServer(t, nil)
	ctx := startBrowser(t, []string{"en-US"}, `(() => {
		window.__violations = [];
		document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
	})();`)
	within(t, ctx, 30*time.Second, "load /docs/", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate(base+"/docs/"))
	})
	waitJS(t, ctx, 20*time.Second, `document.querySelectorAll(".opblock").length > 5 && (document.querySelector(".info .title") || {}).textContent?.includes("ragchat API")`)
	if v := evalJS[[]string](t, ctx, `window.__violations`); len(v) > 0 {
		t.Errorf("CSP violations: %q", v)
	}
	resp, err := http.Get(base + "/docs/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' 'sha256-") || !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", resp.Header)
	}
}
