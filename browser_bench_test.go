//go:build !js

package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"ragchat/internal/fakellm"
)

// BenchmarkBrowserInteractive measures, in headless Chromium on localhost,
// the time from navigation start to an interactive composer (the app's
// performance.now() when its page mounted), with a cold cache (a new
// browser profile per iteration; starting the browser is not timed), and
// the bytes app.wasm took on the wire.
//
//	make wasm && go test -run '^$' -bench BrowserInteractive -benchtime 5x .
func BenchmarkBrowserInteractive(b *testing.B) {
	base, _ := startServer(b, nil)
	var readyMS, warmMS, wireBytes, rawBytes float64
	for i := 0; i < b.N; i++ {
		ctx := newBrowser(b, []string{"en-US"})
		openApp(b, ctx, base+"/")
		readyMS += evalJS[float64](b, ctx, `Number(document.getElementById("chat").dataset.readyMs)`)
		wireBytes += evalJS[float64](b, ctx, `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/app.wasm"))[0].transferSize`)
		rawBytes += evalJS[float64](b, ctx, `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/app.wasm"))[0].decodedBodySize`)
		// Again with the service worker's cache, as a returning visitor.
		openApp(b, ctx, base+"/")
		warmMS += evalJS[float64](b, ctx, `Number(document.getElementById("chat").dataset.readyMs)`)
		chromedp.Cancel(ctx)
	}
	n := float64(b.N)
	b.ReportMetric(readyMS/n, "ms-to-interactive")
	b.ReportMetric(warmMS/n, "warm-ms-to-interactive")
	b.ReportMetric(wireBytes/n, "wasm-wire-bytes")
	b.ReportMetric(rawBytes/n, "wasm-raw-bytes")
}

// frameRecorder records animation frames and long tasks while the chat is
// busy, and when the answer's text changed, so a benchmark can tell
// whether rendering kept up with the stream.
const frameRecorder = `(() => {
	window.__perf = {frames: [], longTasks: [], changes: []};
	const loop = (ts) => {
		const c = document.getElementById("chat");
		if (c && c.dataset.state === "busy") window.__perf.frames.push(ts);
		requestAnimationFrame(loop);
	};
	requestAnimationFrame(loop);
	try {
		new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__perf.longTasks.push(e.duration); })
			.observe({type: "longtask", buffered: true});
	} catch (e) {}
	new MutationObserver(() => {
		const a = document.querySelector("#messages .msg-assistant:last-child .answer");
		if (a && a.textContent.length > 0) window.__perf.changes.push(performance.now());
	}).observe(document, {subtree: true, childList: true, characterData: true});
})();`

// BenchmarkBrowserStream200 streams a 600-token answer at 200 tokens/s
// (the fake LLM waits 5 ms per token) through the real server into the
// page and reports how rendering kept up: the longest gap between
// animation frames while streaming, the 95th percentile gap, the number of
// long tasks (>50 ms main-thread blocks), and the time from the first
// answer text on screen to the last, against the LLM's own 3 s.
//
//	make wasm && go test -run '^$' -bench BrowserStream200 -benchtime 3x .
func BenchmarkBrowserStream200(b *testing.B) {
	base, llm := startServer(b, nil)
	var words []string
	for len(words) < 600 {
		words = append(words, fakellm.Words(slowAnswer)...)
	}
	words = words[:600]
	llm.SetScript(fakellm.Script{Tokens: words, TokenDelay: 5 * time.Millisecond})
	ctx := newBrowser(b, []string{"en-US"}, frameRecorder)
	openApp(b, ctx, base+"/")
	var maxGap, p95, longTasks, streamMS float64
	for i := 0; i < b.N; i++ {
		if i > 0 {
			within(b, ctx, 10*time.Second, "new chat", func(ctx context.Context) error {
				return chromedp.Do(ctx, chromedp.Click(chromedp.ID("new-chat")))
			})
		}
		evalJS[bool](b, ctx, `(window.__perf.frames = [], window.__perf.longTasks = [], window.__perf.changes = [], true)`)
		ask(b, ctx, fmt.Sprintf("Stream a long answer, run %d.", i))
		got := waitAnswered(b, ctx, "complete")
		if want := strings.TrimSpace(strings.Join(words, "")); got != want {
			b.Fatalf("answer has %d bytes, want %d", len(got), len(want))
		}
		stats := evalJS[map[string]float64](b, ctx, `(() => {
			const f = window.__perf.frames, gaps = [];
			for (let i = 1; i < f.length; i++) gaps.push(f[i] - f[i-1]);
			gaps.sort((a, b) => a - b);
			const ch = window.__perf.changes;
			return {
				max: gaps.length ? gaps[gaps.length-1] : 0,
				p95: gaps.length ? gaps[Math.floor(gaps.length*0.95)] : 0,
				long: window.__perf.longTasks.length,
				stream: ch.length > 1 ? ch[ch.length-1] - ch[0] : 0,
			};
		})()`)
		maxGap = max(maxGap, stats["max"])
		p95 += stats["p95"]
		longTasks += stats["long"]
		streamMS += stats["stream"]
	}
	n := float64(b.N)
	b.ReportMetric(maxGap, "max-frame-gap-ms")
	b.ReportMetric(p95/n, "p95-frame-gap-ms")
	b.ReportMetric(longTasks/n, "long-tasks/answer")
	b.ReportMetric(streamMS/n, "render-ms/answer")
}
