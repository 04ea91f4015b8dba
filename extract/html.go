package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"

	"ragchat/rag"
)

// HTML extracts the visible text of an HTML document. Scripts, styles and
// other non-content elements are dropped; headings become "#" lines,
// paragraphs, list items and table rows become lines of their own. The
// <title> (else the first <h1>) is the title. declared (the Content-Type,
// may be empty) and the document's own <meta charset> pick the encoding.
func HTML(data []byte, declared string) (Result, error) {
	r, err := charset.NewReader(bytes.NewReader(data), declared)
	if err != nil {
		return Result{}, rag.Invalid("file", "has an unknown character encoding")
	}
	doc, err := html.Parse(r)
	if err != nil {
		return Result{}, rag.Invalid("file", "is not readable HTML: %v", err)
	}
	w := &htmlText{title: findTitle(doc)}
	w.walk(doc)
	w.flush()
	title := w.title
	if title == "" {
		title = w.h1
	}
	text := strings.ToValidUTF8(strings.Join(w.lines, "\n"), "\uFFFD")
	text = strings.ReplaceAll(text, "\x00", "")
	return finish(Result{Text: text, Title: strings.ToValidUTF8(title, "\uFFFD"), ContentType: HTMLType})
}

// htmlText collects lines of text from an HTML tree.
type htmlText struct {
	lines     []string
	cur       strings.Builder
	title, h1 string
	pre       int // depth inside <pre>
}

// skipped elements hold no readable content.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Svg: true, atom.Math: true, atom.Iframe: true, atom.Object: true,
	atom.Embed: true, atom.Canvas: true, atom.Select: true, atom.Button: true, atom.Input: true,
	atom.Textarea: true,
}

// blocks start and end a line.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true, atom.Main: true,
	atom.Header: true, atom.Footer: true, atom.Nav: true, atom.Aside: true, atom.Blockquote: true,
	atom.Pre: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
	atom.Table: true, atom.Tr: true, atom.Figure: true, atom.Figcaption: true, atom.Hr: true,
	atom.Address: true, atom.Details: true, atom.Summary: true, atom.Form: true, atom.Fieldset: true,
	atom.Body: true, atom.Html: true,
}

var headingLevel = map[atom.Atom]int{atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6}

func (w *htmlText) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
		if skipped[n.DataAtom] || hidden(n) {
			return
		}
		if lvl := headingLevel[n.DataAtom]; lvl > 0 {
			t := textOf(n)
			if t != "" {
				w.flush()
				w.blank()
				w.lines = append(w.lines, strings.Repeat("#", lvl)+" "+t, "")
				if lvl == 1 && w.h1 == "" {
					w.h1 = t
				}
			}
			return
		}
		switch n.DataAtom {
		case atom.Br:
			w.flush()
			return
		case atom.Li:
			w.flush()
			w.cur.WriteString("- ")
			w.children(n)
			w.flush()
			return
		case atom.Td, atom.Th:
			if w.cur.Len() > 0 {
				w.cur.WriteString(" | ")
			}
			w.children(n)
			return
		case atom.Pre:
			w.flush()
			w.blank()
			w.pre++
			w.children(n)
			w.flush()
			w.pre--
			w.blank()
			return
		}
		if blocks[n.DataAtom] {
			w.flush()
			if n.DataAtom == atom.P || n.DataAtom == atom.Blockquote || n.DataAtom == atom.Table {
				w.blank()
			}
			w.children(n)
			w.flush()
			if n.DataAtom == atom.P || n.DataAtom == atom.Blockquote || n.DataAtom == atom.Table {
				w.blank()
			}
			return
		}
	case html.CommentNode, html.DoctypeNode:
		return
	}
	w.children(n)
}

func (w *htmlText) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// text adds inline text: runs of white space become one space, except
// inside <pre>, where lines are kept.
func (w *htmlText) text(s string) {
	if w.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.flush()
			}
			w.cur.WriteString(strings.TrimRight(line, " \t\r"))
		}
		return
	}
	if s == "" {
		return
	}
	if isSpace(s[0]) && w.cur.Len() > 0 {
		w.cur.WriteByte(' ')
	}
	w.cur.WriteString(strings.Join(strings.Fields(s), " "))
	if isSpace(s[len(s)-1]) && len(strings.TrimSpace(s)) > 0 {
		w.cur.WriteByte(' ')
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' }

// flush ends the current line.
func (w *htmlText) flush() {
	line := strings.TrimSpace(w.cur.String())
	if w.pre > 0 && line != "" {
		line = strings.TrimRight(w.cur.String(), " \t")
	}
	w.cur.Reset()
	if line == "" || line == "-" {
		return
	}
	w.lines = append(w.lines, line)
}

// blank adds one empty line (never two in a row, never first).
func (w *htmlText) blank() {
	if n := len(w.lines); n > 0 && w.lines[n-1] != "" {
		w.lines = append(w.lines, "")
	}
}

// textOf is the collapsed text of an element (for titles and headings).
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
			return
		}
		if n.Type == html.ElementNode && (skipped[n.DataAtom] || hidden(n)) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c)
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// findTitle is the text of the first <title> element (outside <svg>,
// whose <title> is a tooltip).
func findTitle(n *html.Node) string {
	if n.Type == html.ElementNode && n.DataAtom == atom.Title && n.Namespace == "" {
		return textOf(n)
	}
	if n.Type == html.ElementNode && n.DataAtom == atom.Svg {
		return ""
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if t := findTitle(c); t != "" {
			return t
		}
	}
	return ""
}

// hidden reports elements the page does not show.
func hidden(n *html.Node) bool {
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "hidden":
			return true
		case "aria-hidden":
			if strings.EqualFold(a.Val, "true") {
				return true
			}
		case "style":
			v := strings.ReplaceAll(strings.ToLower(a.Val), " ", "")
			if strings.Contains(v, "display:none") {
				return true
			}
		}
	}
	return false
}
