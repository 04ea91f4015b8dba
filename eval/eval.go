// Package eval measures retrieval quality: `ragchat eval` indexes a set of
// passages into a fresh store and reports how often the gold passage of each
// question comes back in the top k (recall@1/5/10, MRR@10) and how long a
// query takes (embedding + search, p50/p95). For questions that carry gold
// answers it also scores the offline extractive answer built from the top
// AnswerPassages: answer@1 (its first sentence contains a gold answer,
// case-insensitive, whitespace collapsed) and answer@3 (one of its first
// three does).
//
// Data format (see ../shared/data/README.md): passages.jsonl has {"id",
// "title", "text"}; questions.jsonl has {"id", "question",
// "gold_passage_ids"} and optionally "answers". Each passage is indexed as one chunk of its own
// document, so retrieval is measured without the chunker in the way.
package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/search/embedded"
)

// Passage is one line of passages.jsonl.
type Passage struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// Question is one line of questions.jsonl.
type Question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Gold     []string `json:"gold_passage_ids"`
	// Answers are the gold answer spans (SQuAD's annotators'); a question
	// with answers is also scored on the offline answer (answer@1/3).
	Answers []string `json:"answers,omitempty"`
}

// Result is what an evaluation measured.
type Result struct {
	Store     string  `json:"store"`
	Mode      string  `json:"mode"`
	K         int     `json:"k"`
	Passages  int     `json:"passages"`
	Questions int     `json:"questions"`
	Recall1   float64 `json:"recall@1"`
	Recall5   float64 `json:"recall@5"`
	Recall10  float64 `json:"recall@10"`
	RecallK   float64 `json:"recall@k"`
	MRR10     float64 `json:"mrr@10"`
	P50MS     float64 `json:"p50_ms"`
	P95MS     float64 `json:"p95_ms"`
	// Answered is how many questions carried gold answers; answer@1 and
	// answer@3 are the shares of those whose offline extractive answer
	// has a gold answer in its first sentence, or in one of its first
	// three (absent when no question has answers).
	Answered int      `json:"answered,omitempty"`
	Answer1  *float64 `json:"answer@1,omitempty"`
	Answer3  *float64 `json:"answer@3,omitempty"`
}

// AnswerPassages is how many retrieved passages the offline answerer
// reads, as many as the chat pipeline retrieves by default.
const AnswerPassages = 5

// Opener opens a fresh, empty store of the named kind with its data in dir,
// and returns a function that closes it. Main uses it for --store, so the
// caller can offer stores (such as "elastic") that this package does not
// import.
type Opener func(ctx context.Context, kind, dir string) (rag.Store, func() error, error)

// OpenEmbedded is the Opener for --store embedded (the only kind it knows).
// The index is not fsynced: an evaluation index is thrown away.
func OpenEmbedded(ctx context.Context, kind, dir string) (rag.Store, func() error, error) {
	if kind != "embedded" {
		return nil, nil, fmt.Errorf("store %q is not wired into eval here (only \"embedded\")", kind)
	}
	s, err := embedded.Open(dir, embedded.Options{NoSync: true})
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

// Main runs `ragchat eval` with args (without the subcommand name). open
// may be nil, meaning OpenEmbedded.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, open Opener) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ragchat eval --passages F --questions F [--store embedded|elastic] [--mode hybrid|bm25|vector] [-k 10] [--json] [--data-dir D]")
		fs.PrintDefaults()
	}
	passagesPath := fs.String("passages", "", "passages.jsonl to index (required)")
	questionsPath := fs.String("questions", "", "questions.jsonl to ask (required)")
	storeKind := fs.String("store", "embedded", "search store: embedded or elastic")
	mode := fs.String("mode", string(rag.ModeHybrid), "search mode: hybrid, bm25 or vector")
	k := fs.Int("k", 10, "passages retrieved per question (recall@1/5/10 and MRR@10 are always reported)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	dataDir := fs.String("data-dir", "", "directory for the store's data (default: a temporary directory, removed afterwards)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("eval: unexpected arguments %q", fs.Args())
	}
	if *passagesPath == "" || *questionsPath == "" {
		fs.Usage()
		return errors.New("eval: --passages and --questions are required")
	}
	switch rag.SearchMode(*mode) {
	case rag.ModeHybrid, rag.ModeBM25, rag.ModeVector:
	default:
		return fmt.Errorf("eval: --mode %q: want hybrid, bm25 or vector", *mode)
	}
	if *k <= 0 {
		return fmt.Errorf("eval: -k %d: want a positive number", *k)
	}
	passages, err := LoadPassages(*passagesPath)
	if err != nil {
		return err
	}
	questions, err := LoadQuestions(*questionsPath)
	if err != nil {
		return err
	}
	dir := *dataDir
	if dir == "" {
		dir, err = os.MkdirTemp("", "ragchat-eval-*")
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	if open == nil {
		open = OpenEmbedded
	}
	store, closeStore, err := open(ctx, *storeKind, dir)
	if err != nil {
		return fmt.Errorf("eval: open store: %w", err)
	}
	defer closeStore()
	emb := offline.NewHashEmbedder(0)
	if err := Ingest(ctx, store, emb, passages); err != nil {
		return err
	}
	res, err := Evaluate(ctx, store, emb, questions, rag.SearchMode(*mode), *k)
	if err != nil {
		return err
	}
	res.Store, res.Passages = *storeKind, len(passages)
	if err := closeStore(); err != nil {
		return fmt.Errorf("eval: close store: %w", err)
	}
	closeStore = func() error { return nil }
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(res)
	}
	return WriteTable(stdout, []Result{res})
}

// WriteTable prints results as an aligned table.
func WriteTable(w io.Writer, rs []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "store\tmode\tpassages\tquestions\tR@1\tR@5\tR@10\tMRR@10\tA@1\tA@3\tp50 ms\tp95 ms\t")
	for _, r := range rs {
		a1, a3 := "-", "-"
		if r.Answer1 != nil && r.Answer3 != nil {
			a1, a3 = fmt.Sprintf("%.3f", *r.Answer1), fmt.Sprintf("%.3f", *r.Answer3)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%s\t%.2f\t%.2f\t\n",
			r.Store, r.Mode, r.Passages, r.Questions, r.Recall1, r.Recall5, r.Recall10, r.MRR10, a1, a3, r.P50MS, r.P95MS)
	}
	return tw.Flush()
}

// LoadPassages reads passages.jsonl.
func LoadPassages(path string) ([]Passage, error) {
	var out []Passage
	err := readJSONL(path, func(line []byte) error {
		var p Passage
		if err := json.Unmarshal(line, &p); err != nil {
			return err
		}
		if p.ID == "" {
			return errors.New("passage without id")
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// LoadQuestions reads questions.jsonl.
func LoadQuestions(path string) ([]Question, error) {
	var out []Question
	err := readJSONL(path, func(line []byte) error {
		var q Question
		if err := json.Unmarshal(line, &q); err != nil {
			return err
		}
		if q.Question == "" || len(q.Gold) == 0 {
			return errors.New("question without text or gold passage ids")
		}
		out = append(out, q)
		return nil
	})
	return out, err
}

func readJSONL(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		if err := fn(line); err != nil {
			return fmt.Errorf("eval: %s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("eval: %s: %w", path, err)
	}
	return nil
}

// Ingest embeds and indexes each passage as a document with the passage's id.
func Ingest(ctx context.Context, store rag.Store, emb rag.Embedder, passages []Passage) error {
	const batch = 256
	for lo := 0; lo < len(passages); lo += batch {
		ps := passages[lo:min(lo+batch, len(passages))]
		var chunks []rag.Chunk
		var texts []string
		for _, p := range ps {
			// One chunk per passage: the sets' passages are paragraphs,
			// already the size of a chunk.
			chunks = append(chunks, rag.Chunk{ID: rag.ChunkID(p.ID, 0), DocumentID: p.ID, Title: p.Title, Text: p.Text})
			texts = append(texts, EmbedText(p.Title, "", p.Text))
		}
		vecs, err := emb.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("eval: embed passages: %w", err)
		}
		for i := range chunks {
			chunks[i].Vector = vecs[i]
		}
		if err := store.Index(ctx, chunks); err != nil {
			return fmt.Errorf("eval: index passages: %w", err)
		}
	}
	return nil
}

// EmbedText is the text a chunk's vector is computed from: title, heading
// and text, as the ingest pipeline embeds them.
func EmbedText(title, heading, text string) string {
	return strings.Join(slices.DeleteFunc([]string{title, heading, text}, func(s string) bool { return s == "" }), "\n")
}

// Evaluate asks every question and scores the ranking against the gold
// passages. Latency counts embedding the question and searching.
func Evaluate(ctx context.Context, store rag.Store, emb rag.Embedder, questions []Question, mode rag.SearchMode, k int) (Result, error) {
	res := Result{Mode: string(mode), K: k, Questions: len(questions)}
	if len(questions) == 0 {
		return res, errors.New("eval: no questions")
	}
	depth := max(k, 10)
	lat := make([]float64, 0, len(questions))
	var hits1, hits5, hits10, hitsK, rr float64
	var answered int
	var ans1, ans3 float64
	answerer := offline.NewExtractive()
	for _, q := range questions {
		start := time.Now()
		var vec []float32
		if mode != rag.ModeBM25 {
			vs, err := emb.Embed(ctx, []string{q.Question})
			if err != nil {
				return res, fmt.Errorf("eval: embed question %s: %w", q.ID, err)
			}
			vec = vs[0]
		}
		ps, err := store.Search(ctx, rag.Query{Text: q.Question, Vector: vec, K: depth, Mode: mode})
		if err != nil {
			return res, fmt.Errorf("eval: search %s: %w", q.ID, err)
		}
		lat = append(lat, float64(time.Since(start).Microseconds())/1000)
		if len(q.Answers) > 0 {
			answered++
			switch at := answerRank(answerer, q, ps); {
			case at == 1:
				ans1++
				ans3++
			case at > 0 && at <= 3:
				ans3++
			}
		}
		// Rank documents (passages), not chunks: a passage counts at the
		// rank of its best chunk.
		rank := 0
		seen := map[string]bool{}
		for _, p := range ps {
			if seen[p.Chunk.DocumentID] {
				continue
			}
			seen[p.Chunk.DocumentID] = true
			if slices.Contains(q.Gold, p.Chunk.DocumentID) {
				rank = len(seen)
				break
			}
		}
		if rank == 0 {
			continue
		}
		if rank <= 1 {
			hits1++
		}
		if rank <= 5 {
			hits5++
		}
		if rank <= 10 {
			hits10++
			rr += 1 / float64(rank)
		}
		if rank <= k {
			hitsK++
		}
	}
	n := float64(len(questions))
	res.Recall1, res.Recall5, res.Recall10, res.RecallK, res.MRR10 = round(hits1/n), round(hits5/n), round(hits10/n), round(hitsK/n), round(rr/n)
	if answered > 0 {
		a1, a3 := round(ans1/float64(answered)), round(ans3/float64(answered))
		res.Answered, res.Answer1, res.Answer3 = answered, &a1, &a3
	}
	slices.Sort(lat)
	res.P50MS, res.P95MS = round(percentile(lat, 0.50)), round(percentile(lat, 0.95))
	return res, nil
}

// answerRank returns the 1-based position of the first sentence of the
// offline answer to q (from the first AnswerPassages of ps, as the chat
// pipeline would pass them) that contains a gold answer, or 0.
func answerRank(x *offline.Extractive, q Question, ps []rag.Passage) int {
	sents := x.Sentences(rag.GenerateRequest{Question: q.Question, Passages: ps[:min(len(ps), AnswerPassages)]})
	for i, s := range sents {
		if ContainsAnswer(s, q.Answers) {
			return i + 1
		}
	}
	return 0
}

// ContainsAnswer reports whether sentence contains one of the answers,
// case-insensitively and with runs of whitespace counted as one space.
func ContainsAnswer(sentence string, answers []string) bool {
	s := normalize(sentence)
	for _, a := range answers {
		if a = normalize(a); a != "" && strings.Contains(s, a) {
			return true
		}
	}
	return false
}

func normalize(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func round(x float64) float64 { return math.Round(x*10000) / 10000 }
