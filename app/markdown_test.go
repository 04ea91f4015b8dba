package app

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// renderHTML renders src the way a message does, with [1]-[3] as known sources.
func renderHTML(src string) string {
	r := mdRenderer{cite: func(n int) app.EventHandler {
		if n > 3 {
			return nil
		}
		return func(app.Context, app.Event) {}
	}}
	return sortAttrs(app.HTMLString(app.Div().Class("md").Body(r.renderMarkdown(src)...)))
}

var (
	tagRE  = regexp.MustCompile(`<([a-z0-9]+)((?: [a-z-]+="[^"]*")+)>`)
	attrRE = regexp.MustCompile(` [a-z-]+="[^"]*"`)
)

// sortAttrs orders each tag's attributes, which go-app writes in map order.
func sortAttrs(html string) string {
	return tagRE.ReplaceAllStringFunc(html, func(tag string) string {
		m := tagRE.FindStringSubmatch(tag)
		attrs := attrRE.FindAllString(m[2], -1)
		sort.Strings(attrs)
		return "<" + m[1] + strings.Join(attrs, "") + ">"
	})
}

func TestMarkdownGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/markdown/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := renderHTML(string(src))
			golden := strings.TrimSuffix(f, ".md") + ".html"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestMarkdownNeverEmitsMarkup checks that model text cannot create
// elements or attributes: every '<' of the input comes out escaped, and
// no unsafe URL becomes an href.
func TestMarkdownNeverEmitsMarkup(t *testing.T) {
	for _, src := range []string{
		"<script>alert(1)</script>",
		"a <img src=x onerror=alert(1)> b",
		"[x](javascript:alert(1))",
		"[x](JaVaScRiPt:alert(1))",
		"[x](\x01javascript:alert(1))",
		"[x](data:text/html;base64,PHNjcmlwdD4=)",
		"<javascript:alert(1)>",
		"```\n</code></pre><script>x</script>\n```",
		"`</code><b>`",
		"**<b>bold</b>**",
		"# <h1>x</h1>",
	} {
		html := renderHTML(src)
		for _, bad := range []string{"<script", "<img", "<b>", "<h1>x", `href="javascript`, `href="data`, "</code></pre><"} {
			if strings.Contains(strings.ToLower(html), bad) {
				t.Errorf("%q rendered %q, which contains %q", src, html, bad)
			}
		}
	}
}

func TestParseInline(t *testing.T) {
	text := func(s string) mdInline { return mdInline{Kind: inlineText, Text: s} }
	tests := []struct {
		in   string
		want []mdInline
	}{
		{"plain", []mdInline{text("plain")}},
		{"a [1] b", []mdInline{text("a "), {Kind: inlineCite, Ns: []int{1}}, text(" b")}},
		{"[1, 2][3]", []mdInline{{Kind: inlineCite, Ns: []int{1, 2}}, {Kind: inlineCite, Ns: []int{3}}}},
		{"[0] [1000] [a]", []mdInline{text("[0] [1000] [a]")}},
		{"**b** *i* __B__ _I_", []mdInline{
			{Kind: inlineStrong, Children: []mdInline{text("b")}}, text(" "),
			{Kind: inlineEm, Children: []mdInline{text("i")}}, text(" "),
			{Kind: inlineStrong, Children: []mdInline{text("B")}}, text(" "),
			{Kind: inlineEm, Children: []mdInline{text("I")}},
		}},
		{"snake_case_name", []mdInline{text("snake_case_name")}},
		{"2 * 3 * 4", []mdInline{text("2 * 3 * 4")}},
		{"**open", []mdInline{text("**open")}},
		{"`a*b*`", []mdInline{{Kind: inlineCode, Text: "a*b*"}}},
		{"\\*not em\\*", []mdInline{text("*not em*")}},
		{"[site](https://x.example/a) end", []mdInline{{Kind: inlineLink, URL: "https://x.example/a", Children: []mdInline{text("site")}}, text(" end")}},
		{"[bad](javascript:x)", []mdInline{{Kind: inlineLink, URL: "", Children: []mdInline{text("bad")}}}},
		{"see https://x.example/p.", []mdInline{text("see "), {Kind: inlineLink, URL: "https://x.example/p", Children: []mdInline{text("https://x.example/p")}}, text(".")}},
		{"a\nb", []mdInline{text("a"), {Kind: inlineBreak}, text("b")}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseInline(tt.in)); diff != "" {
			t.Errorf("parseInline(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestSafeURL(t *testing.T) {
	tests := map[string]string{
		"https://x.example/a?b#c": "https://x.example/a?b#c",
		"HTTP://X.EXAMPLE":        "HTTP://X.EXAMPLE",
		"mailto:a@b.example":      "mailto:a@b.example",
		"/docs/api":               "/docs/api",
		"docs/api.md":             "docs/api.md",
		"./a:b":                   "./a:b",
		"javascript:alert(1)":     "",
		" javascript:alert(1)":    "",
		"vbscript:x":              "",
		"data:text/html,x":        "",
		"//evil.example/x":        "",
		"java\tscript:x":          "",
		"":                        "",
	}
	for in, want := range tests {
		if got := safeURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzMarkdown checks that any text, complete or cut anywhere mid-stream,
// parses and renders, and that no raw '<' reaches the output.
func FuzzMarkdown(f *testing.F) {
	files, _ := filepath.Glob("testdata/markdown/*.md")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("[1](x) **[2]** `[3]` > - 1. ```")
	f.Fuzz(func(t *testing.T, src string) {
		html := renderHTML(src)
		if strings.Contains(html, "<script") || strings.Contains(strings.ToLower(html), `href="javascript`) {
			t.Fatalf("unsafe output for %q: %s", src, html)
		}
		// Text never closes or opens an element by itself: every '<' in the
		// output starts a tag the renderer made.
		for i := strings.IndexByte(html, '<'); i >= 0; {
			rest := html[i+1:]
			if !startsKnownTag(rest) {
				t.Fatalf("unexpected '<' at %d for %q: %s", i, src, html)
			}
			j := strings.IndexByte(rest, '<')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	})
}

func startsKnownTag(s string) bool {
	s = strings.TrimPrefix(s, "/")
	for _, tag := range []string{"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "pre", "code", "blockquote", "hr", "strong", "em", "a ", "a>", "span", "button", "br"} {
		if strings.HasPrefix(s, tag) {
			return true
		}
	}
	return false
}
