package rag

import "strings"

// blockKind tells the chunker how a block may be split.
type blockKind uint8

const (
	blockParagraph blockKind = iota // split at sentences
	blockHeading                    // one or two lines (setext), never split unless absurdly long
	blockCode                       // a fenced code block, split at lines
)

// block is a run of lines of a section.
type block struct {
	start, end int
	kind       blockKind
}

// section is the text under one heading: its heading path and its blocks,
// the heading line(s) first.
type section struct {
	path   string
	blocks []block
}

// parseSections splits Markdown into sections and blocks in one pass over
// its lines. It understands just enough Markdown to keep structure: ATX and
// setext headings, fenced code blocks, and blank lines between paragraphs.
// A setext underline counts only under a one-line paragraph: CommonMark
// would also turn a longer paragraph above "---" into a heading, but a
// paragraph is a worse heading path than no heading.
func parseSections(text string) []section {
	type heading struct {
		level int
		text  string
	}
	var (
		stack     []heading
		sections  = []section{{}}
		cur       = &sections[0]
		paraStart = -1 // the open paragraph, if any
		paraEnd   = 0
		paraLines = 0
		fence     = "" // the open fence's marker, if any
		fenceFrom = 0
	)
	closePara := func() {
		if paraStart >= 0 {
			cur.blocks = append(cur.blocks, block{paraStart, paraEnd, blockParagraph})
			paraStart, paraLines = -1, 0
		}
	}
	startSection := func(level int, title string, b block) {
		for len(stack) > 0 && stack[len(stack)-1].level >= level {
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, heading{level, title})
		var names []string
		for _, h := range stack {
			if h.text != "" {
				names = append(names, h.text)
			}
		}
		sections = append(sections, section{path: strings.Join(names, " > "), blocks: []block{b}})
		cur = &sections[len(sections)-1]
	}

	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		next := len(text)
		if le < 0 {
			le = len(text)
		} else {
			le += ls
			next = le + 1
		}
		line := text[ls:le]
		switch {
		case fence != "":
			if isFenceClose(line, fence) {
				cur.blocks = append(cur.blocks, block{fenceFrom, le, blockCode})
				fence = ""
			}
		case openFence(line) != "":
			closePara()
			fence, fenceFrom = openFence(line), ls
		case strings.TrimSpace(line) == "":
			closePara()
		default:
			if level, title, ok := atxHeading(line); ok {
				closePara()
				startSection(level, title, block{ls, le, blockHeading})
				break
			}
			if level := setextLevel(line); level > 0 && paraLines == 1 {
				title := strings.TrimSpace(text[paraStart:paraEnd])
				from := paraStart
				paraStart, paraLines = -1, 0
				startSection(level, title, block{from, le, blockHeading})
				break
			}
			if paraStart < 0 {
				paraStart = ls
			}
			paraEnd = le
			paraLines++
		}
		ls = next
	}
	if fence != "" { // unclosed: the block runs to the end
		cur.blocks = append(cur.blocks, block{fenceFrom, len(text), blockCode})
	}
	closePara()
	return sections
}

// indent strips up to 3 leading spaces, the indentation Markdown allows
// before a heading or fence; ok is false when there are more.
func indent(line string) (rest string, ok bool) {
	for i := 0; i < 4; i++ {
		if i == len(line) || line[i] != ' ' {
			return line[i:], true
		}
	}
	return line, false
}

// atxHeading parses "## Title ##" into its level and title.
func atxHeading(line string) (level int, title string, ok bool) {
	s, ok := indent(line)
	if !ok {
		return 0, "", false
	}
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 6 {
		return 0, "", false
	}
	s = s[level:]
	if s != "" && s[0] != ' ' && s[0] != '\t' && s[0] != '\r' {
		return 0, "", false
	}
	s = strings.TrimSpace(s)
	// An optional closing sequence of #s, after a space.
	if t := strings.TrimRight(s, "#"); t != s && (t == "" || strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t")) {
		s = strings.TrimSpace(t)
	}
	return level, s, true
}

// setextLevel returns 1 for a "===" underline, 2 for "---", else 0.
func setextLevel(line string) int {
	s, ok := indent(line)
	if !ok {
		return 0
	}
	s = strings.TrimRight(s, " \t\r")
	switch {
	case s == "":
		return 0
	case strings.Trim(s, "=") == "":
		return 1
	case strings.Trim(s, "-") == "":
		return 2
	}
	return 0
}

// openFence returns the marker (``` or ~~~, as long as written) of a line
// that opens a fenced code block, else "".
func openFence(line string) string {
	s, ok := indent(line)
	if !ok || len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || (s[0] == '`' && strings.ContainsRune(s[n:], '`')) {
		return ""
	}
	return s[:n]
}

// isFenceClose reports whether line closes a block opened with marker.
func isFenceClose(line, marker string) bool {
	s, ok := indent(line)
	if !ok {
		return false
	}
	s = strings.TrimRight(s, " \t\r")
	return len(s) >= len(marker) && strings.Trim(s, marker[:1]) == ""
}
