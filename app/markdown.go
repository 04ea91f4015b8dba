package app

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The Markdown here is the small subset that chat models write: paragraphs,
// headings, lists, fenced code, block quotes, rules, and inline code,
// emphasis, links and citation markers [n]. It is parsed into a tree that
// markdown_ui.go turns into go-app elements, so model text only ever becomes
// text nodes and checked attribute values, never HTML. The parser is total:
// any input, including a half-streamed answer, yields a tree.

// blockKind says what a block is.
type blockKind uint8

const (
	blockParagraph blockKind = iota
	blockHeading
	blockList
	blockCode
	blockQuote
	blockRule
)

// mdBlock is one block of a Markdown document.
type mdBlock struct {
	Kind    blockKind
	Level   int         // heading level 1-6
	Ordered bool        // list: numbered
	Start   int         // list: first number
	Lang    string      // code: info string, sanitised
	Text    string      // paragraph and heading: inline source; code: literal text
	Items   [][]mdBlock // list: one block list per item
	Blocks  []mdBlock   // quote: content
}

// parseMarkdown parses src into blocks.
func parseMarkdown(src string) []mdBlock {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\t", "    ")
	return parseBlocks(strings.Split(src, "\n"), 0)
}

// maxDepth bounds nesting (quotes in lists in quotes...) so hostile input
// cannot blow the stack or the DOM.
const maxDepth = 8

func parseBlocks(lines []string, depth int) []mdBlock {
	var (
		out  []mdBlock
		para []string
	)
	flush := func() {
		if len(para) > 0 {
			out = append(out, mdBlock{Kind: blockParagraph, Text: strings.Join(para, "\n")})
			para = nil
		}
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		indent := leadingSpaces(line)
		switch {
		case trimmed == "":
			flush()
			i++
		case indent < 4 && isFence(trimmed):
			flush()
			fence := trimmed[:fenceLen(trimmed)]
			var code []string
			j := i + 1
			for ; j < len(lines); j++ {
				t := strings.TrimSpace(lines[j])
				if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
					break
				}
				code = append(code, dedent(lines[j], indent))
			}
			out = append(out, mdBlock{Kind: blockCode, Lang: codeLang(trimmed[len(fence):]), Text: strings.Join(code, "\n")})
			i = j + 1
		case indent < 4 && headingLevel(trimmed) > 0:
			flush()
			lvl := headingLevel(trimmed)
			text := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(trimmed[lvl:]), "#"))
			out = append(out, mdBlock{Kind: blockHeading, Level: lvl, Text: text})
			i++
		case indent < 4 && isRule(trimmed):
			flush()
			out = append(out, mdBlock{Kind: blockRule})
			i++
		case indent < 4 && strings.HasPrefix(trimmed, ">"):
			flush()
			var inner []string
			j := i
			for ; j < len(lines); j++ {
				t := strings.TrimSpace(lines[j])
				if !strings.HasPrefix(t, ">") {
					break
				}
				t = strings.TrimPrefix(t, ">")
				t = strings.TrimPrefix(t, " ")
				inner = append(inner, t)
			}
			b := mdBlock{Kind: blockQuote}
			if depth < maxDepth {
				b.Blocks = parseBlocks(inner, depth+1)
			} else {
				b.Blocks = []mdBlock{{Kind: blockParagraph, Text: strings.Join(inner, "\n")}}
			}
			out = append(out, b)
			i = j
		default:
			m, ok := listMarker(line)
			if !ok || (len(para) > 0 && m.ordered && m.start != 1) {
				// A numbered line inside a paragraph ("in 2024. the...") is text,
				// as in CommonMark, unless it starts at 1.
				para = append(para, trimmed)
				i++
				continue
			}
			flush()
			var b mdBlock
			b, i = parseList(lines, i, m, depth)
			out = append(out, b)
		}
	}
	flush()
	return out
}

// marker is a list item's bullet or number.
type marker struct {
	indent  int // spaces before the marker
	width   int // indent + marker + following spaces: where the content starts
	ordered bool
	char    byte // '-', '*', '+' or the number's delimiter '.' / ')'
	start   int
}

func listMarker(line string) (marker, bool) {
	indent := leadingSpaces(line)
	rest := line[indent:]
	if indent >= 4 || rest == "" {
		return marker{}, false
	}
	m := marker{indent: indent}
	switch rest[0] {
	case '-', '*', '+':
		m.char = rest[0]
		rest = rest[1:]
		m.width = indent + 1
	default:
		n, digits := 0, 0
		for digits < len(rest) && digits < 9 && rest[digits] >= '0' && rest[digits] <= '9' {
			n = n*10 + int(rest[digits]-'0')
			digits++
		}
		if digits == 0 || digits >= len(rest) || (rest[digits] != '.' && rest[digits] != ')') {
			return marker{}, false
		}
		m.ordered, m.start, m.char = true, n, rest[digits]
		rest = rest[digits+1:]
		m.width = indent + digits + 1
	}
	if rest == "" {
		return m, true // an empty item
	}
	if rest[0] != ' ' {
		return marker{}, false
	}
	sp := leadingSpaces(rest)
	if sp > 4 {
		sp = 1
	}
	m.width += sp
	return m, true
}

// parseList reads the list that starts at lines[i] and returns it with the
// index of the first line after it.
func parseList(lines []string, i int, first marker, depth int) (mdBlock, int) {
	b := mdBlock{Kind: blockList, Ordered: first.ordered, Start: first.start}
	for i < len(lines) {
		m, ok := listMarker(lines[i])
		if !ok || m.ordered != first.ordered || m.char != first.char || m.indent > first.indent+1 {
			break
		}
		head := ""
		if m.width < len(lines[i]) {
			head = lines[i][m.width:]
		}
		item := []string{head}
		j := i + 1
		for ; j < len(lines); j++ {
			l := lines[j]
			if strings.TrimSpace(l) == "" {
				// A blank line continues the item only if indented text follows.
				if j+1 < len(lines) && leadingSpaces(lines[j+1]) >= m.width && strings.TrimSpace(lines[j+1]) != "" {
					item = append(item, "")
					continue
				}
				break
			}
			if leadingSpaces(l) >= m.width {
				item = append(item, lineFrom(l, m.width))
				continue
			}
			if _, isItem := listMarker(l); isItem || startsBlock(l) {
				break
			}
			item = append(item, strings.TrimSpace(l)) // lazy continuation
		}
		if depth < maxDepth {
			b.Items = append(b.Items, parseBlocks(item, depth+1))
		} else {
			b.Items = append(b.Items, []mdBlock{{Kind: blockParagraph, Text: strings.Join(item, "\n")}})
		}
		i = j
		// Skip blank lines between items of the same list.
		k := i
		for k < len(lines) && strings.TrimSpace(lines[k]) == "" {
			k++
		}
		if k > i {
			if next, ok := listMarker(safeIndex(lines, k)); !ok || next.char != first.char || next.ordered != first.ordered {
				break
			}
			i = k
		}
	}
	return b, i
}

func safeIndex(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// startsBlock reports whether line opens a block that ends a paragraph.
func startsBlock(line string) bool {
	if leadingSpaces(line) >= 4 {
		return false
	}
	t := strings.TrimSpace(line)
	return isFence(t) || headingLevel(t) > 0 || isRule(t) || strings.HasPrefix(t, ">")
}

func leadingSpaces(s string) int {
	n := 0
	for n < len(s) && s[n] == ' ' {
		n++
	}
	return n
}

// lineFrom drops up to n leading spaces.
func lineFrom(s string, n int) string {
	sp := leadingSpaces(s)
	if sp > n {
		sp = n
	}
	return s[sp:]
}

func dedent(s string, n int) string { return lineFrom(s, n) }

func isFence(t string) bool { return fenceLen(t) >= 3 }

func fenceLen(t string) int {
	if t == "" || (t[0] != '`' && t[0] != '~') {
		return 0
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n >= 3 && t[0] == '`' && strings.Contains(t[n:], "`") {
		return 0 // ```inline``` is code text, not a fence
	}
	return n
}

// codeLang keeps the first word of a fence's info string if it is a plain
// language name; it becomes a class, so nothing else gets through.
func codeLang(info string) string {
	f := strings.Fields(info)
	if len(f) == 0 || len(f[0]) > 20 {
		return ""
	}
	for _, r := range f[0] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '#' || r == '_') {
			return ""
		}
	}
	return strings.ToLower(f[0])
}

func headingLevel(t string) int {
	n := 0
	for n < len(t) && t[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(t) && t[n] != ' ') {
		return 0
	}
	return n
}

func isRule(t string) bool {
	if len(t) < 3 || (t[0] != '-' && t[0] != '*' && t[0] != '_') {
		return false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case t[0]:
			n++
		case ' ':
		default:
			return false
		}
	}
	return n >= 3
}

// inlineKind says what an inline span is.
type inlineKind uint8

const (
	inlineText inlineKind = iota
	inlineCode
	inlineStrong
	inlineEm
	inlineLink
	inlineCite
	inlineBreak
)

// mdInline is one inline span.
type mdInline struct {
	Kind     inlineKind
	Text     string     // text and code
	URL      string     // link: checked by safeURL; empty if unsafe
	Ns       []int      // cite: the citation numbers of one bracket, [1] or [1, 2]
	Children []mdInline // strong, em, link
}

// parseInline parses a paragraph's or heading's text into spans.
func parseInline(s string) []mdInline { return parseInlineDepth(s, 0) }

func parseInlineDepth(s string, depth int) []mdInline {
	var (
		out []mdInline
		buf strings.Builder
	)
	text := func() {
		if buf.Len() > 0 {
			out = append(out, mdInline{Kind: inlineText, Text: buf.String()})
			buf.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			buf.WriteByte(s[i+1])
			i += 2
			continue
		case c == '\n':
			text()
			out = append(out, mdInline{Kind: inlineBreak})
			i++
			continue
		case c == '`':
			n := runLen(s[i:], '`')
			if end := strings.Index(s[i+n:], strings.Repeat("`", n)); end >= 0 && runLen(s[i+n+end:], '`') == n {
				code := s[i+n : i+n+end]
				if len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
					code = code[1 : len(code)-1]
				}
				text()
				out = append(out, mdInline{Kind: inlineCode, Text: strings.ReplaceAll(code, "\n", " ")})
				i += n + end + n
				continue
			}
			buf.WriteString(s[i : i+n])
			i += n
			continue
		case c == '[':
			if ns, n := parseCite(s[i:]); n > 0 {
				text()
				out = append(out, mdInline{Kind: inlineCite, Ns: ns})
				i += n
				continue
			}
			if label, url, n := parseLink(s[i:]); n > 0 && depth < maxDepth {
				text()
				out = append(out, mdInline{Kind: inlineLink, URL: safeURL(url), Children: parseInlineDepth(label, depth+1)})
				i += n
				continue
			}
		case c == '<':
			if end := strings.IndexByte(s[i:], '>'); end > 0 {
				if u := s[i+1 : i+end]; !strings.ContainsAny(u, " <\n") && isWebURL(u) {
					text()
					out = append(out, mdInline{Kind: inlineLink, URL: safeURL(u), Children: []mdInline{{Kind: inlineText, Text: u}}})
					i += end + 1
					continue
				}
			}
		case c == 'h' && (strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://")) && (i == 0 || !isWordByte(s[i-1])):
			u := bareURL(s[i:])
			text()
			out = append(out, mdInline{Kind: inlineLink, URL: safeURL(u), Children: []mdInline{{Kind: inlineText, Text: u}}})
			i += len(u)
			continue
		case (c == '*' || c == '_') && depth < maxDepth:
			if sp, n := parseEmphasis(s, i, depth); n > 0 {
				text()
				out = append(out, sp)
				i += n
				continue
			}
			n := runLen(s[i:], c)
			buf.WriteString(s[i : i+n])
			i += n
			continue
		}
		buf.WriteByte(c)
		i++
	}
	text()
	return out
}

// parseEmphasis reads *em*, **strong**, _em_ or __strong__ at s[i:].
func parseEmphasis(s string, i, depth int) (mdInline, int) {
	c := s[i]
	n := runLen(s[i:], c)
	if n > 3 {
		return mdInline{}, 0
	}
	open := i + n
	if open >= len(s) || s[open] == ' ' || s[open] == '\n' {
		return mdInline{}, 0
	}
	if c == '_' && i > 0 && isWordByte(s[i-1]) {
		return mdInline{}, 0 // snake_case
	}
	delim := strings.Repeat(string(c), n)
	for j := open + 1; j+n <= len(s); j++ {
		if s[j] != c || !strings.HasPrefix(s[j:], delim) {
			continue
		}
		if runLen(s[j:], c) != n || s[j-1] == ' ' || s[j-1] == '\n' || s[j-1] == '\\' {
			j += runLen(s[j:], c) - 1
			continue
		}
		if c == '_' && j+n < len(s) && isWordByte(s[j+n]) {
			continue
		}
		inner := parseInlineDepth(s[open:j], depth+1)
		var sp mdInline
		switch n {
		case 1:
			sp = mdInline{Kind: inlineEm, Children: inner}
		case 2:
			sp = mdInline{Kind: inlineStrong, Children: inner}
		default:
			sp = mdInline{Kind: inlineStrong, Children: []mdInline{{Kind: inlineEm, Children: inner}}}
		}
		return sp, j + n - i
	}
	return mdInline{}, 0
}

// parseCite reads [1], [1, 2] or [1,2,3] and returns the numbers and the
// bytes consumed. Numbers are 1-999.
func parseCite(s string) ([]int, int) {
	var ns []int
	i := 1
	for {
		n, digits := 0, 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' && digits < 3 {
			n = n*10 + int(s[i]-'0')
			i++
			digits++
		}
		if digits == 0 || n == 0 || (i < len(s) && s[i] >= '0' && s[i] <= '9') {
			return nil, 0
		}
		ns = append(ns, n)
		if i < len(s) && s[i] == ']' {
			if i+1 < len(s) && s[i+1] == '(' {
				return nil, 0 // [1](url) is a link
			}
			return ns, i + 1
		}
		if i < len(s) && s[i] == ',' {
			i++
			for i < len(s) && s[i] == ' ' {
				i++
			}
			continue
		}
		return nil, 0
	}
}

// parseLink reads [label](url "title") at the start of s.
func parseLink(s string) (label, url string, n int) {
	depth := 0
	end := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				end = i
			}
		case '\n':
			if depth > 0 && i+1 < len(s) && s[i+1] == '\n' {
				return "", "", 0
			}
		}
		if end >= 0 {
			break
		}
	}
	if end < 1 || end+1 >= len(s) || s[end+1] != '(' {
		return "", "", 0
	}
	// The destination may hold balanced parentheses (wiki URLs).
	closeParen, depthParen := -1, 0
	for i := end + 2; i < len(s) && closeParen < 0; i++ {
		switch s[i] {
		case '(':
			depthParen++
		case ')':
			if depthParen == 0 {
				closeParen = i - (end + 2)
			}
			depthParen--
		case '\n':
			i = len(s)
		}
	}
	if closeParen < 0 {
		return "", "", 0
	}
	dest := strings.TrimSpace(s[end+2 : end+2+closeParen])
	if sp := strings.IndexAny(dest, " \n"); sp >= 0 {
		dest = dest[:sp] // drop a title
	}
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	return s[1:end], dest, end + 2 + closeParen + 1
}

// bareURL returns the URL at the start of s, without trailing punctuation.
func bareURL(s string) string {
	end := len(s)
	for i, r := range s {
		if unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' || r > unicode.MaxASCII {
			end = i
			break
		}
	}
	u := s[:end]
	for len(u) > 0 && strings.ContainsRune(".,;:!?)]'*_", rune(u[len(u)-1])) {
		if u[len(u)-1] == ')' && strings.Count(u, "(") >= strings.Count(u, ")") {
			break
		}
		u = u[:len(u)-1]
	}
	return u
}

// safeURL returns u if it is safe as a link target (http, https, mailto, or
// a relative path), and "" otherwise (javascript:, data:, ...).
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || !utf8.ValidString(u) {
		return ""
	}
	for _, r := range u {
		// Controls, spaces, quotes and angle brackets are never part of a
		// well-formed URL; go-app's server-side HTML encoder quotes
		// attributes Go-style, so they must not reach an attribute.
		if r <= 0x20 || r == 0x7f || strings.ContainsRune("\"'<>\\`", r) {
			return ""
		}
	}
	lower := strings.ToLower(u)
	if isWebURL(lower) || strings.HasPrefix(lower, "mailto:") {
		return u
	}
	colon := strings.IndexByte(u, ':')
	if colon < 0 || (strings.IndexAny(u, "/?#") >= 0 && strings.IndexAny(u, "/?#") < colon) {
		if strings.HasPrefix(u, "//") {
			return "" // scheme-relative: another host
		}
		return u // relative
	}
	return ""
}

func isWebURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

func runLen(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func isASCIIPunct(c byte) bool {
	return c < 0x80 && unicode.IsPunct(rune(c)) || c == '`' || c == '*' || c == '_' || c == '<' || c == '>' || c == '#' || c == '+' || c == '|' || c == '~' || c == '^' || c == '$' || c == '='
}
