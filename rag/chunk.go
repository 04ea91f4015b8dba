package rag

import (
	"strings"
	"unicode"
)

// Chunk sizes, in tokens as EstimateTokens counts them.
const (
	// DefaultChunkTokens is the chunk size when ChunkOptions.MaxTokens is 0.
	// About 250 tokens is 1,000 English characters or 250 Hangul syllables:
	// a few paragraphs, enough to hold a self-contained answer, small enough
	// that BM25 and embeddings match it precisely. Five of them (the default
	// top-k) take about 1,250 tokens of the default 3,000-token prompt
	// budget, which leaves room for the instructions, the question and some
	// conversation history.
	DefaultChunkTokens = 250
	// MinChunkTokens is the smallest chunk size SplitText honours; smaller
	// values are raised to it (no rune costs more than 2 tokens, so every
	// text can be split within it).
	MinChunkTokens = 16
)

// ChunkOptions tune SplitText.
type ChunkOptions struct {
	// MaxTokens bounds the estimated tokens (EstimateTokens) of each chunk's
	// Text. 0 means DefaultChunkTokens; values below MinChunkTokens are
	// raised to it.
	MaxTokens int
	// OverlapTokens repeats up to this many tokens of whole sentences (or
	// paragraphs) from the end of a chunk at the start of the next chunk of
	// the same section. 0 means no overlap, the default: chunks already end
	// at paragraph or sentence boundaries and carry their heading, and
	// repeated text would cost prompt budget and make an extractive answer
	// repeat itself. It is capped at MaxTokens/2.
	OverlapTokens int
}

// Section is one chunk of a text, with the Markdown heading path it falls
// under ("Install > Linux"; "" before the first heading).
type Section struct {
	Heading string
	Text    string
}

// SplitText cuts Markdown or plain text into chunks that each fit in
// opts.MaxTokens. It keeps Markdown structure:
//
//   - ATX ("## Title") and setext (underlined) headings start sections; every
//     chunk of a section gets its heading path. Heading lines stay in the
//     text of the section's first chunk; a heading directly followed by
//     another heading is carried into the next section's first chunk rather
//     than becoming a chunk of its own.
//   - "#" lines inside fenced code blocks are not headings, and a code block
//     that fits stays whole.
//   - Paragraphs (and lists and tables) are packed whole into chunks. Only
//     one too long for a chunk is split: first between list items, table
//     rows and quote lines, then at sentence ends (. ! ? … and 。！？,
//     Korean "다." "요." included; not after "e.g.", "Mr." or a list
//     number, nor inside "3.14"); a sentence still too long is cut at a
//     clause or word boundary, and a word too long at a rune.
//
// Every chunk's Text is a non-empty, trimmed substring of text, chunks come
// in order, and together they hold every non-space character of text
// (with OverlapTokens, some more than once). Invalid UTF-8 passes through
// as it is.
func SplitText(text string, opts ChunkOptions) []Section {
	spans := splitSpans(text, opts)
	if len(spans) == 0 {
		return nil
	}
	out := make([]Section, len(spans))
	for i, s := range spans {
		out[i] = Section{Heading: s.heading, Text: text[s.start:s.end]}
	}
	return out
}

// chunkSpan is a chunk as byte offsets into the split text.
type chunkSpan struct {
	heading    string
	start, end int
}

// unit is a piece the packer never splits: a heading, a paragraph, a code
// block, or a sentence of a paragraph too long for one chunk. Its offsets
// are trimmed of spaces.
type unit struct {
	start, end int
	tokens     int
	heading    bool // never repeated as overlap
}

func (o ChunkOptions) limits() (limit, overlap int) {
	limit = o.MaxTokens
	if limit == 0 {
		limit = DefaultChunkTokens
	}
	limit = max(limit, MinChunkTokens)
	overlap = min(max(o.OverlapTokens, 0), limit/2)
	return limit, overlap
}

func splitSpans(text string, opts ChunkOptions) []chunkSpan {
	limit, overlap := opts.limits()
	var out []chunkSpan
	var carried []unit // heading lines of sections that had no body yet
	sections := parseSections(text)
	for i, sec := range sections {
		units := carried
		carried = nil
		for _, b := range sec.blocks {
			units = appendBlockUnits(units, text, b, limit)
		}
		if len(units) == 0 {
			continue
		}
		if len(sec.blocks) == 1 && sec.blocks[0].kind == blockHeading && i < len(sections)-1 {
			carried = units
			continue
		}
		out = pack(out, text, units, sec.path, limit, overlap)
	}
	return out
}

// pack groups units greedily into chunks of at most limit tokens.
func pack(out []chunkSpan, text string, units []unit, heading string, limit, overlap int) []chunkSpan {
	gap := func(j int) int { return EstimateTokens(text[units[j-1].end:units[j].start]) }
	for i := 0; i < len(units); {
		first, tokens, j := i, units[i].tokens, i+1
		for j < len(units) {
			t := tokens + gap(j) + units[j].tokens
			if t > limit {
				break
			}
			tokens, j = t, j+1
		}
		out = append(out, chunkSpan{heading: heading, start: units[first].start, end: units[j-1].end})
		if j == len(units) {
			break
		}
		// Start the next chunk with the longest run of this chunk's last
		// units that fits the overlap and still leaves room for unit j.
		next := j
		cost := 0
		for k := j - 1; k > first && overlap > 0; k-- {
			c := cost + units[k].tokens
			if k < j-1 {
				c += gap(k + 1)
			}
			if units[k].heading || c > overlap || c+gap(j)+units[j].tokens > limit {
				break
			}
			cost, next = c, k
		}
		i = next
	}
	return out
}

// appendBlockUnits appends the units of block b: the block itself when it
// fits, else its sentences (lines, for code), each cut further if needed.
func appendBlockUnits(units []unit, text string, b block, limit int) []unit {
	s := text[b.start:b.end]
	if t := EstimateTokens(s); t <= limit {
		units = appendTrimmed(units, text, b.start, b.end, t)
		if len(units) > 0 && b.kind == blockHeading {
			units[len(units)-1].heading = true
		}
		return units
	}
	n := len(units)
	if b.kind == blockCode {
		units = appendCuts(units, text, b.start, lineCuts(s), len(s), limit, appendPiece)
	} else {
		// List items and table rows first, so that a chunk of a long list
		// starts with an item; then the sentences of an item too long.
		units = appendCuts(units, text, b.start, itemCuts(s), len(s), limit, appendSentences)
	}
	for i := n; i < len(units); i++ {
		units[i].heading = b.kind == blockHeading
	}
	return units
}

// appendCuts appends the pieces of text[base:base+end] between cuts (offsets
// from base) with add.
func appendCuts(units []unit, text string, base int, cuts []int, end, limit int,
	add func([]unit, string, int, int, int) []unit) []unit {
	prev := 0
	for _, c := range append(cuts, end) {
		units = add(units, text, base+prev, base+c, limit)
		prev = c
	}
	return units
}

// appendSentences appends text[start:end] as one unit when it fits, else
// its sentences, each cut by hardSplit when needed.
func appendSentences(units []unit, text string, start, end, limit int) []unit {
	start, end = trimSpan(text, start, end)
	if start == end {
		return units
	}
	if t := EstimateTokens(text[start:end]); t <= limit {
		return append(units, unit{start: start, end: end, tokens: t})
	}
	return appendCuts(units, text, start, sentenceCuts(text[start:end]), end-start, limit, appendPiece)
}

// appendPiece appends text[start:end] as one unit when it fits, else cut by
// hardSplit.
func appendPiece(units []unit, text string, start, end, limit int) []unit {
	start, end = trimSpan(text, start, end)
	if start == end {
		return units
	}
	if t := EstimateTokens(text[start:end]); t <= limit {
		return append(units, unit{start: start, end: end, tokens: t})
	}
	for _, c := range hardSplit(text[start:end], limit) {
		units = appendTrimmed(units, text, start+c[0], start+c[1], -1)
	}
	return units
}

// appendTrimmed appends text[start:end] trimmed, unless it is all space.
// tokens < 0 means "estimate it".
func appendTrimmed(units []unit, text string, start, end, tokens int) []unit {
	s, e := trimSpan(text, start, end)
	if s == e {
		return units
	}
	if tokens < 0 || s != start || e != end {
		tokens = EstimateTokens(text[s:e])
	}
	return append(units, unit{start: s, end: e, tokens: tokens})
}

// trimSpan narrows [start, end) of text to exclude leading and trailing
// space.
func trimSpan(text string, start, end int) (int, int) {
	s := text[start:end]
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	start += len(s) - len(t)
	t = strings.TrimRightFunc(t, unicode.IsSpace)
	return start, start + len(t)
}
