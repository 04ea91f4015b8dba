package offline

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"ragchat/rag"
	"ragchat/search/softmatch"
	"ragchat/tokenize"
	"ragchat/wordvec"
)

// ExtractiveModel is the model name an extractive answer reports, so the
// done event and the stored message say plainly what answered.
const ExtractiveModel = "offline-extractive (not an LLM)"

// DefaultMaxSentences is how many sentences an extractive answer quotes
// when Extractive.MaxSentences is 0.
const DefaultMaxSentences = 3

// Extractive answers without a model: it quotes the sentences of the
// retrieved passages that share the most (rare) words with the question,
// each cited [n], and says that it is not an LLM. It is deterministic, so
// tests and offline demos get the same answer every time.
type Extractive struct {
	// TokenDelay is a pause before each streamed token, so that a demo
	// shows streaming; 0 streams at once.
	TokenDelay time.Duration
	// MaxSentences bounds the quoted sentences (0 means DefaultMaxSentences).
	MaxSentences int
}

var _ rag.Generator = (*Extractive)(nil)

// NewExtractive returns an Extractive with the defaults.
func NewExtractive() *Extractive {
	return &Extractive{MaxSentences: DefaultMaxSentences}
}

// Generate streams the answer word by word (each token a word with the
// space after it). It stops when ctx ends or token fails and returns that
// error as is.
func (e *Extractive) Generate(ctx context.Context, req rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
	gen := rag.Generation{Model: ExtractiveModel}
	lang, quotes := e.answer(req)
	answer := compose(lang, quotes)
	var t *time.Timer
	for _, tok := range splitTokens(answer) {
		if e.TokenDelay > 0 {
			if t == nil {
				t = time.NewTimer(e.TokenDelay)
				defer t.Stop()
			} else {
				t.Reset(e.TokenDelay)
			}
			select {
			case <-ctx.Done():
				return gen, ctx.Err()
			case <-t.C:
			}
		} else if err := ctx.Err(); err != nil {
			return gen, err
		}
		if err := token(tok); err != nil {
			return gen, err
		}
		gen.Usage.CompletionTokens++
	}
	gen.Usage.TotalTokens = gen.Usage.CompletionTokens
	gen.FinishReason = "stop"
	return gen, nil
}

// Sentences returns the sentences the answer to req quotes, in the order
// Generate writes them, without the framing line and the citations. The
// evaluation scores them (answer@1, answer@3).
func (e *Extractive) Sentences(req rag.GenerateRequest) []string {
	_, quotes := e.answer(req)
	out := make([]string, len(quotes))
	for i, q := range quotes {
		out[i] = q.text
	}
	return out
}

// answer picks the quotes for req and the language to frame them in.
func (e *Extractive) answer(req rag.GenerateRequest) (string, []quote) {
	lang := rag.NormalizeLang(req.Lang)
	if lang == "" {
		lang = rag.DetectLang(req.Question)
	}
	max := e.MaxSentences
	if max <= 0 {
		max = DefaultMaxSentences
	}
	return lang, pick(lang, req.Question, req.Passages, max)
}

// quote is a sentence chosen for the answer.
type quote struct {
	text     string
	key      string // its terms, to quote a sentence once
	source   int    // 1-based passage number, as cited
	pos      int    // sentence position in its passage
	score    float64
	matched  int
	sameLang bool // written in the question's language
}

// pick returns up to max sentences of passages that answer the question,
// best first, the other quotes of its passage next, and so on. A sentence's score is the share of the question's weight it
// covers (each question term weighted by its rarity among the candidate
// sentences), plus a bonus for the retrieval rank of its passage (the
// store's ranking knows the whole corpus), for question terms it has side
// by side as the question does, and for holding the kind of thing the
// question asks for (a number for "how many", a year for "when", a name for
// "who": see cue). Sentences that score under half the best are left out so
// that weak matches do not pad a good answer, and so are sentences in
// another language than lang when some in lang match.
func pick(lang, question string, passages []rag.Passage, max int) []quote {
	terms := queryTerms(question)
	if len(terms) == 0 {
		return nil
	}
	want := cue(question)
	def := defined(question)
	qWords := map[string]bool{}
	for _, w := range tokenize.AppendWords(nil, question) {
		qWords[w] = true
	}
	var cands []quote
	var sentTerms []map[string]bool
	var sentToks [][]string
	heads := make([]map[string]bool, len(passages)+1) // by source
	for i, p := range passages {
		heads[i+1] = headingTerms(p.Chunk.Heading)
		for j, s := range sentences(p.Chunk.Text) {
			if strings.HasSuffix(s, ":") || aboutTheText(s) {
				continue // an introduction to a list, code or the page: empty alone
			}
			toks := tokenize.Tokens(s)
			set := make(map[string]bool, len(toks))
			for _, tok := range toks {
				set[tok] = true
			}
			cands = append(cands, quote{text: s, source: i + 1, pos: j, key: strings.Join(toks, " ")})
			sentTerms = append(sentTerms, set)
			sentToks = append(sentToks, toks)
		}
	}
	n := float64(len(cands))
	weight := map[string]float64{}
	total := 0.0
	for t := range terms {
		df := 0
		for _, st := range sentTerms {
			if st[t] {
				df++
			}
		}
		// Terms no sentence has still count in the total: a sentence
		// that covers the rest covers only part of the question.
		weight[t] = math.Log(1 + (n+1)/float64(df+1))
		total += weight[t]
	}
	pairs := termPairs(question, terms)
	soft := softScores(question, cands)
	sameLang := false
	for i := range cands {
		c := &cands[i]
		covered := 0.0
		// A sentence that begins with a pronoun ("It was designed by")
		// is about what the sentence before it named, and every sentence
		// is about its section's heading: it counts their terms at a
		// discount.
		prev := -1
		if i > 0 && cands[i-1].source == c.source && cands[i-1].pos == c.pos-1 && startsWithPronoun(c.text) {
			prev = i - 1
		}
		for t, w := range weight {
			switch {
			case sentTerms[i][t]:
				covered += w
				c.matched++
			case prev >= 0 && sentTerms[prev][t], heads[c.source][t]:
				covered += inherited * w
			}
		}
		if c.matched == 0 {
			continue
		}
		c.score = covered / total
		if soft != nil {
			c.score += softWeight * soft[i]
		}
		c.score += rankBonus * math.Pow(rankDecay, float64(c.source-1))
		if len(pairs) > 0 {
			c.score += pairBonus * float64(adjacentPairs(sentToks[i], pairs)) / float64(len(pairs))
		}
		if want != cueNone && hasCue(want, c.text, qWords) || def != "" && defines(c.text, def) {
			c.score += cueBonus
		}
		if rag.DetectLang(c.text) == lang {
			c.sameLang = true
			sameLang = true
		}
	}
	if sameLang {
		// Answer a Korean question from Korean sentences when there are
		// any that match, an English one from English ones.
		kept := cands[:0]
		for _, c := range cands {
			if c.sameLang {
				kept = append(kept, c)
			}
		}
		cands = kept
	}
	sort.SliceStable(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		if x.score != y.score {
			return x.score > y.score
		}
		if x.source != y.source {
			return x.source < y.source
		}
		return x.pos < y.pos
	})
	var out []quote
	seen := map[string]bool{}
	for _, c := range cands {
		if len(out) == max || c.matched == 0 || c.score < keepShare*cands[0].score {
			break
		}
		if seen[c.key] {
			continue
		}
		seen[c.key] = true
		out = append(out, c)
	}
	// Keep each source's quotes together (one paragraph each), sources in
	// the order of their best quote: the best sentence stays first.
	rank := map[int]int{}
	for i, c := range out {
		if _, ok := rank[c.source]; !ok {
			rank[c.source] = i
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return rank[out[a].source] < rank[out[b].source] })
	return out
}

// Scoring weights (tuned on half of en_squad11_dev's articles; see
// eval/doc.go). Coverage of the question's weight is in [0, 1].
const (
	rankBonus  = 0.1  // for a sentence of the first passage ...
	rankDecay  = 0.5  // ... times this for each later one
	pairBonus  = 0.15 // for having all the question's adjacent term pairs
	cueBonus   = 0.15 // for holding what the question asks for
	keepShare  = 0.5  // quote sentences scoring at least this share of the best
	softWeight = 0.3  // for the question's weight covered by similar words
	softMin    = 0.4  // word similarity below which words count as unlike
	inherited  = 0.7  // for a term a pronoun sentence's predecessor has
)

// headingTerms returns the terms of the nearest heading of a chunk's
// heading path ("Runs > Resuming after a dropped connection").
func headingTerms(path string) map[string]bool {
	if path == "" {
		return nil
	}
	if i := strings.LastIndex(path, " > "); i >= 0 {
		path = path[i+3:]
	}
	set := map[string]bool{}
	for _, t := range tokenize.Tokens(path) {
		set[t] = true
	}
	return set
}

// aboutTheText reports sentences that describe the page they are on ("This
// page explains how runs behave"): they match many questions and answer
// none.
func aboutTheText(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"this page ", "this document ", "this guide ", "this section ", "이 문서는 ", "이 페이지는 ", "이 글은 ", "이 절은 "} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// startsWithPronoun reports whether s begins with a pronoun that refers
// back ("It", "They", "This", "그는", "이것은").
func startsWithPronoun(s string) bool {
	w, _, _ := strings.Cut(s, " ")
	switch strings.ToLower(strings.TrimRight(w, ",")) {
	case "it", "its", "he", "his", "she", "her", "they", "their", "this", "these", "those", "that":
		return true
	}
	for _, p := range []string{"그는", "그녀는", "그들은", "이것은", "그것은", "이는", "그의", "이들은"} {
		if w == p {
			return true
		}
	}
	return false
}

// softScores returns, for each candidate, the share of the question's
// weight its words cover by word-vector similarity (package softmatch;
// English only, the same GloVe table the retriever uses), or nil when the
// table is unavailable or the question has no word in it.
func softScores(question string, cands []quote) []float64 {
	table, err := wordvec.Default()
	if err != nil {
		return nil
	}
	ids := make([][]int32, len(cands))
	for i, c := range cands {
		ids[i] = softmatch.WordIDs(table, c.text)
	}
	idf := softmatch.CandidateIDF(table, ids)
	q := softmatch.NewQuery(table, question, float32(softMin), idf)
	if q.Empty() {
		return nil
	}
	full := q.Score(softmatch.WordIDs(table, question))
	if full <= 0 {
		return nil
	}
	out := make([]float64, len(cands))
	for i := range cands {
		out[i] = q.Score(ids[i]) / full
	}
	return out
}

// termPair is two content terms that follow each other in a question.
type termPair [2]string

// termPairs returns the pairs of content terms that follow each other in
// the question (stopwords between them skipped).
func termPairs(question string, terms map[string]bool) map[termPair]bool {
	pairs := map[termPair]bool{}
	prev := ""
	for _, t := range tokenize.Tokens(question) {
		if !terms[t] {
			continue
		}
		if prev != "" && prev != t {
			pairs[termPair{prev, t}] = true
		}
		prev = t
	}
	return pairs
}

// adjacentPairs counts the pairs that occur in toks within three tokens
// of each other, in either order.
func adjacentPairs(toks []string, pairs map[termPair]bool) int {
	var found map[termPair]bool
	for i, a := range toks {
		for j := i + 1; j < len(toks) && j <= i+3; j++ {
			for _, k := range [2]termPair{{a, toks[j]}, {toks[j], a}} {
				if pairs[k] && !found[k] {
					if found == nil {
						found = map[termPair]bool{}
					}
					found[k] = true
				}
			}
		}
	}
	return len(found)
}

// queryTerms are the question's content terms: its tokens without English
// stopwords and question fillers ("use", "explain"), lone Hangul syllables (particles split off a Latin word, as
// in "SSE가") and the bigrams of Korean question words and endings.
func queryTerms(question string) map[string]bool {
	terms := map[string]bool{}
	for _, t := range tokenize.Tokens(question) {
		if tokenize.IsStopword(t) || questionFiller[t] || koreanFunction[t] || isLoneHangul(t) {
			continue
		}
		terms[t] = true
	}
	return terms
}

// questionFiller holds the (stemmed) English verbs and nouns questions are
// phrased with, which match sentences on any topic ("why was it chosen"
// asks for a reason, not for the word).
var questionFiller = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range tokenize.Tokens(`use used using work works make get set need want explain tell
		mean means way ways thing things happen know show describe possible please
		choose chosen pick picked reason reasons`) {
		m[t] = true
	}
	return m
}()

// koreanFunction holds syllable bigrams of Korean question words and
// polite endings, which carry no topic.
var koreanFunction = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`무엇 엇인 엇이 엇을 어떻 떻게 어떤 언제 어디 디에 디서 누가 누구 왜요
		인가 가요 나요 까요 세요 주세 어요 해요 니까 습니 니다 합니 입니 있나 하나 나요 는지 은지 인지 려면 해주 알려 려주
		대해 해서 에서 으로 에게 하는 하고 이란 이야 란무 이에 있는 있어 되나 되는 할수 수있`) {
		m[w] = true
	}
	return m
}()

func isLoneHangul(t string) bool {
	r := []rune(t)
	return len(r) == 1 && r[0] >= 0xAC00 && r[0] <= 0xD7A3
}

// compose frames the quotes in lang ("ko" or "en"): a first line that says
// this is an offline extractive answer, then the quotes, each cited [n];
// quotes of one source form one paragraph.
func compose(lang string, quotes []quote) string {
	if len(quotes) == 0 {
		if lang == rag.LangKorean {
			return "오프라인 추출형 답변(LLM 아님): 검색된 문서에는 이 질문에 대한 답이 없습니다."
		}
		return "Offline extractive answer (not an LLM): the documents do not contain an answer to this question."
	}
	var b strings.Builder
	if lang == rag.LangKorean {
		b.WriteString("오프라인 추출형 답변(LLM 아님) — 문서에서 질문과 가장 관련 있는 문장입니다:\n\n")
	} else {
		b.WriteString("Offline extractive answer (not an LLM) — the most relevant sentences from the documents:\n\n")
	}
	for i, q := range quotes {
		if i > 0 {
			if q.source != quotes[i-1].source {
				b.WriteString("\n\n")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(q.text)
		b.WriteString(" [" + strconv.Itoa(q.source) + "]")
	}
	return b.String()
}

// splitTokens cuts text into streaming tokens: each word with the
// whitespace that follows it, so the tokens concatenate to text.
func splitTokens(text string) []string {
	var out []string
	start, inSpace := 0, false
	for i, r := range text {
		sp := r == ' ' || r == '\n' || r == '\t'
		if !sp && inSpace {
			out = append(out, text[start:i])
			start = i
		}
		inSpace = sp
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}
