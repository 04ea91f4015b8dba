package eval

// Measured results (ragchat eval on ../shared/data, embedded store, hash
// embedder 512 dims, defaults of search/embedded; -k 10). A and B are the
// even and odd questions of each set (0-based line numbers 0, 2, 4, … and
// 1, 3, 5, …, written to separate questions files): every setting below was
// chosen on A, and B confirms it.
//
//	make eval    # or, per set and mode:
//	go build -o /tmp/ragchat . && /tmp/ragchat eval --mode hybrid \
//	  --passages ../shared/data/en_squad11_dev/passages.jsonl \
//	  --questions ../shared/data/en_squad11_dev/questions.jsonl
//
//	set              mode    half  R@1    R@5    R@10   MRR@10
//	en_squad11_dev   bm25    all   0.806  0.945  0.962  0.866
//	en_squad11_dev   vector  all   0.549  0.792  0.849  0.649
//	en_squad11_dev   hybrid  all   0.811  0.953  0.974  0.873
//	en_squad11_dev   hybrid  A     0.816  0.950  0.970  0.871
//	en_squad11_dev   hybrid  B     0.806  0.956  0.978  0.875
//	ko_kobest_boolq  bm25    all   0.970  0.997  0.998  0.982
//	ko_kobest_boolq  vector  all   0.787  0.905  0.931  0.836
//	ko_kobest_boolq  hybrid  all   0.969  0.997  0.998  0.982
//	ko_kobest_boolq  hybrid  A     0.974  0.998  1.000  0.985
//	ko_kobest_boolq  hybrid  B     0.964  0.996  0.996  0.978
//
// Hybrid is BM25 and the hash vectors fused by score, then the best 50
// reordered by word matching with word vectors (package softmatch,
// GloVe 6B, 30,000 English words; search/embedded WordWeight 1). BM25 and
// vector rows are those modes alone (word matching is part of hybrid only).
//
// Word matching (this round). The English misses at R@10 were questions
// that name the passage's subject in other words: "siblings" for "brother
// … three sisters", "school" for "University of Erfurt", "animals" for
// "pigeons", "a fan of" for "a proponent of". No spelling-based feature
// (stemming, n-grams, the hash vectors) can bring those together, so this
// round added pre-trained word vectors, measured as a rerank of the fused
// top 50 (R@1 / R@10 on A and B; before: A 0.818 / 0.960, B 0.792 / 0.966):
//   - Each question word's best cosine among the passage's words, weighted
//     by the word's BM25 IDF, summed ("max-sim"), divided by the list's best
//     and added at weight w to the fused score divided by its best: w 1,
//     no threshold A 0.812 / 0.966, B 0.804 / 0.980; similarities below
//     0.4 counted as 0: A 0.814 / 0.970, B 0.806 / 0.980 (chosen); below
//     0.3: A 0.814 / 0.966; 0.5: A 0.814 / 0.968; 0.6: A 0.802 / 0.970. At
//     0.4, w 0.75-1.25 within a question or two; w 1.5 and 2 lose R@1 (A
//     0.808, 0.804); squared similarities A 0.810 / 0.968. 30k, 50k or 100k
//     words scored alike (30k chosen: 3 MB). Rerank depth 50 and 100 alike,
//     30 A R@10 0.968 (50 chosen). IDF from the word's frequency rank in
//     GloVe's corpus instead of the index: A 0.822 / 0.968, B 0.808 /
//     0.978; IDF within the 50 candidates: A 0.810 / 0.968. As built (int8
//     table, 30k words, depth 50): A 0.816 / 0.970, B 0.806 / 0.978.
//   - Averaged word vectors (SIF weights) as a second vector list in score
//     fusion: alone R@1 0.36; fused at weight 0.1-2, R@10 on A 0.960-0.970
//     and B 0.966-0.972, R@1 falling (B 0.798 at weight 2): averaging blurs
//     the few words that tell one paragraph of an article from another.
//   - Query expansion with each word's nearest neighbours in GloVe (3 or
//     10 neighbours, cosine >= 0.6 or 0.7, weight 0.1-0.4) as BM25 terms:
//     R@10 A 0.956-0.964, B 0.968-0.978, R@1 A 0.778-0.826. Neighbours
//     include antonyms and siblings ("east" / "west", "monday" /
//     "tuesday"), which pull in the wrong paragraphs of the same article.
//   - The Snowball English stemmer (github.com/kljensen/snowball) in place
//     of package tokenize's: A 0.812 / 0.958, B 0.796 / 0.964, no gain.
//   - Korean, a question's first word, when it ends in the topic particle
//     은/는 (or 이/가), at weight 1.2-2: A 0.968-0.972, B 0.964-0.966, no gain.
//     Hangul syllables as hash-embedder features beside the bigrams, weight
//     0.25-2: Korean vector mode R@1 0.787 -> 0.825 and R@10 0.931 -> 0.960
//     at weight 1 (both halves), but hybrid R@1 stays 0.969-0.970 at
//     vector weights 0.02-0.1; not adopted, since changing the embedder
//     leaves vectors stored by earlier builds inconsistent until reindexed.
//     Of the 31 Korean R@1 misses, 5 are passages the set holds twice
//     (a near-identical text under another id ranks first, the gold copy
//     second), which no ranking can tell apart.
//
// Per-half tables of the previous rounds (hybrid before word matching;
// bm25 and vector are unchanged since):
//
//	en_squad11_dev   bm25    A     0.820  0.936  0.960  0.868
//	en_squad11_dev   bm25    B     0.792  0.954  0.964  0.863
//	en_squad11_dev   vector  A     0.552  0.788  0.850  0.651
//	en_squad11_dev   vector  B     0.546  0.796  0.848  0.647
//	en_squad11_dev   hybrid  all   0.805  0.945  0.963  0.865
//	en_squad11_dev   hybrid  A     0.818  0.936  0.960  0.867
//	en_squad11_dev   hybrid  B     0.792  0.954  0.966  0.863
//	ko_kobest_boolq  bm25    A     0.974  0.998  1.000  0.985
//	ko_kobest_boolq  bm25    B     0.966  0.996  0.996  0.979
//	ko_kobest_boolq  vector  A     0.776  0.896  0.936  0.827
//	ko_kobest_boolq  vector  B     0.798  0.914  0.926  0.845
//
// Previous round (before the stemmer additions and the last-word weight
// below), hybrid, all / A / B: EN R@1 0.804 / 0.818 / 0.790, R@10 0.960 /
// 0.958 / 0.962; KO R@1 0.968 / 0.972 / 0.964, R@10 0.998 / 1.000 / 0.996.
//
// Two rounds before (all questions, R@1 / R@10): EN bm25 0.792 / 0.958,
// hybrid 0.794 / 0.958; KO bm25 0.957 / 0.996, hybrid 0.957 / 0.997.
// Reference (the sets' README, plain BM25 k1 0.9 b 0.4): EN 0.736 / 0.943,
// KO 0.960 / 0.994.
//
// What moved the numbers (R@1 on A / B unless noted), and what did not:
//   - English stemming (package tokenize): EN BM25 R@1 0.746 without it,
//     0.792 with it (all questions, phrase terms on in both).
//   - Phrase terms in BM25 (adjacent content-word pairs, weight 0.3):
//     EN R@1 0.772 -> 0.792; for Hangul they hurt (0.957 -> 0.936), so
//     Hangul bigrams are not paired. Weight 0.5: -0.016 / -0.004.
//   - English function words in questions at weight 0.3 (passages keep
//     them): EN +0.010 / +0.004 (dropping them outright: +0.008 / ±0).
//   - Possessive "'s" dropped by the tokenizer (Jochi's, Temüjin's were
//     terms no passage had, as the stemmer leaves non-ASCII words and words
//     in -is/-us alone): EN R@10 ±0 / +0.004.
//   - Hangul syllable terms at half weight beside the bigrams (a noun of one
//     syllable with its particle, "콩은", is otherwise only a bigram):
//     KO +0.006 / +0.002. Full weight, whole-word terms (-0.013) and
//     particle stripping (as extra terms or instead of the bigrams) were
//     within ±0.004 or worse. Skipping syllables in over 10% of the chunks
//     cost 0.008 on A; over 30% (kept) scored like no limit.
//   - A query's Hangul bigrams weighted by their place in a word of three
//     or more syllables: first 1.5 (the stem), last 0.5 (mostly particle or
//     ending): KO +0.008 / +0.004. Weighting passages' bigrams the same
//     way, or dividing by the word's length, added nothing.
//   - BM25 k1 1.0 / b 0.8 (grid k1 0.8-1.4 by b 0.6-0.9 on A): EN +0.004 /
//     +0.004 against k1 1.2 / b 0.75, KO ±0 / +0.002. k1 0.8 scored EN R@1
//     +0.004 more on A but R@10 -0.002. Title boost 2: EN -0.010 / ±0; no
//     title: EN R@10 -0.006 / -0.008.
//   - Hash embedder (vector mode): dimensions (256 -> 1024: EN R@1 +0.06;
//     512 chosen for memory), sublinear tf (EN +0.12), word-pair features
//     (+0.01), character trigrams about neutral; per-dimension IDF in the
//     store for sparse vectors (KO +0.02; see search/embedded weightDims).
//   - Fusion: the hash vectors carry no information BM25 lacks. Rank fusion
//     (RRF, k 2-60, vector weight 0.05-1) always lost R@1 against BM25
//     (EN 0.73-0.79, KO 0.92-0.95). Score fusion lost less the smaller the
//     vector weight (EN on A: 0.794 at 0.3, 0.800 at 0.15, 0.806 at 0.1,
//     0.810 at 0.05, BM25's 0.812 at 0.02; KO on A 0.960-0.962 against
//     BM25's 0.966), so the default is 0.02: the vector list only breaks
//     near-ties. Hybrid therefore scores like BM25, within one question.
//   - Stemmer additions (package tokenize): -ied/-ying on four- and
//     five-letter words (died, dying -> die), no "-ist" cut in "-sist"
//     (assist was "ass"), -sion -> -d (invasion/invade, erosion/erode) and
//     -ssion -> -ss, and a table of ~110 irregular English verbs (grew ->
//     grow, felt -> feel). Hybrid EN, R@1 / R@10 on A and B: the first two
//     ±0 / +0.002 and ±0 / ±0; the verb table ±0 / ±0 and +0.002 / +0.002;
//     -sion ±0 / ±0 and ±0 / +0.002. Together: A ±0 / +0.002 (R@5 +0.004),
//     B +0.002 / +0.004 (R@5 +0.006); KO unchanged. -ance/-ence -> "" on top
//     cost 0.002 R@1 on A (dropped).
//   - A query's last word, when it is Hangul (the predicate: "높아진다",
//     "있나요"), at weight 0.8 (search/embedded lastWordWeight): KO R@1 A
//     +0.002, B ±0 (MRR@10 +0.001 / +0.0005); 0.7-0.9 alike on A, 0.6 and
//     lower worse (0.3: -0.004). EN unaffected.
//   - Tried in this round and dropped: BM25+ (a lower bound delta per
//     matched term): all terms, delta 0.25-1: EN R@1 up to +0.008 / +0.010
//     but KO B -0.008; word terms only (not Hangul bigrams, syllables or
//     phrases), delta 0.1-1: EN A R@1 ±0 to +0.010 but R@10 -0.002 from 0.2
//     up, KO unchanged. Hangul bigrams with the second syllable's final
//     consonant (받침) removed, as extra terms in index and query ("생길" and
//     "생기" meet): weight 0.3 and 0.6 neutral on A, 1 KO -0.006 / -0.008.
//     Vector weight 0.005-0.03 with the changes above: identical on A (B KO
//     +0.002 but EN R@10 -0.002 at 0.005), so 0.02 stays.
//   - Tried and dropped: pseudo-relevance feedback (RM3-style, 3-10 top
//     passages, 10-30 terms, weight 0.1-0.5): EN R@10 up to +0.004 but R@1
//     -0.006 to -0.06; word-prefix terms (first 4-6 letters, weight
//     0.2-0.5): EN R@10 -0.002 to +0.004 on A (+0.002 to +0.008 on B) but
//     R@1 -0.002 to -0.016 on A;
//     proximity (best 16-40 word window of a passage added to its BM25, as
//     a rerank of the top 50 or as window postings): EN R@1 -0.010 to
//     +0.010 on A with R@10 at most +0.002 (B gained up to +0.03), so not
//     justified on the tuning half; sentence-window chunking of passages;
//     unordered or wider phrase windows.
//
// Goals of issue 6 for the offline hybrid: EN R@1 >= 0.80 and R@10 >= 0.97,
// KO R@1 >= 0.97 and R@10 >= 0.995. Met: EN R@1 (0.811; A 0.816, B 0.806),
// EN R@10 (0.974; A 0.970, B 0.978) and KO R@10 (0.998). Not met: KO R@1
// (0.969, one question short; A 0.974, B 0.964; BM25 alone 0.970). The
// Korean misses that remain are several passages on one topic, the
// near-duplicates above, and negated statements ("아라베스크는 유럽에서
// 시작된 무늬인가요?"); word vectors for Korean are not in the table, and no
// lexical setting we tried separates them without losing as many
// elsewhere. A semantic embedder (--embedder openai, with
// embedded.FusionRRF and VectorWeight 1) is the way past them.
//
// Speed and size at 100k chunks (2 shared cores; cd search/embedded && go
// test -run XXX -bench 'Search|Memory' -benchtime 300x .; synthetic chunks
// of real English words and made-up Korean ones): hybrid p50 1.59 ms, p95
// 2.15 ms (0.88 / 1.43 ms with word matching skipped: it costs about 0.7
// ms a query, whatever the index size, for 50 candidates); bm25 0.10 ms;
// vector 0.65 ms. BenchmarkMemory: 2.9 KB of heap per chunk (text,
// postings, int8 vector, word list), plus the word-vector table once per
// process (3.4 MB of vectors read in place from the binary, 2.6 MB of
// word index built in 5 ms; wordvec BenchmarkDefault). The previous round's synthetic vocabulary of made-up
// words measured 1.6 ms p50 and 3.45 KB per chunk.
//
// Offline answers (issue #14). For questions with gold answers (SQuAD's
// annotators' spans, en_squad11_dev only: the Korean set has none), eval
// builds the offline extractive answer from the top 5 passages and scores
// answer@1 (its first sentence contains a gold answer, case-insensitive,
// whitespace collapsed) and answer@3 (one of its first three does). Halves
// here are by article, not by line, so that no topic is in both: A is the
// questions of the first 12 articles (squad11dev-a00 to a22, 471
// questions), B those of the last 12 (a24 to a46, 529). Every weight was
// chosen on A; B was measured only to confirm, and a few times for the
// ablations below, so it is held out from the tuning but not untouched.
//
//	set / half              before (A@1 A@3)   after (A@1 A@3)
//	en_squad11_dev hybrid   0.741  0.867       0.782  0.872
//	  A (tuned on)          0.728  0.866       0.802  0.879
//	  B (held out)          0.752  0.868       0.764  0.866
//	en_squad11_dev bm25     0.739  0.865       0.776  0.867
//	en_squad11_dev vector   0.553  0.743       0.687  0.751
//	testdata/en (40 q.)     0.750  0.825       0.775  0.875
//
// Retrieval is unchanged (R@1 0.811, R@10 0.974). The gain held out is
// much smaller than on A (+0.012 against +0.074 at answer@1); why was not
// measured, so read B's figure as the one to expect on new data. Besides
// the scoring, answers now quote the best sentence first (the old one
// quoted in reading order) and the splitter no longer cuts "U.S. Senate",
// "Jr." or quoted "..." apart. What the scorer does, with what each part
// measured on A (A@1 / A@3, the rest at the chosen values):
//   - Coverage: the share of the question's term weight a sentence has,
//     weights log(1 + (n+1)/(df+1)) over the n candidate sentences (the old
//     ranking counted matched terms first and used rarity only for ties).
//   - Passage rank: +0.1 for the first passage, halving per rank (0: 0.786
//     / 0.873 in an early round; 0.2: 0.777; 0.5: 0.764). Scaling by the
//     retrieval score instead: A 0.805 / 0.870, B 0.756 / 0.875, not kept.
//   - Question pairs side by side (within 3 tokens): +0.15 × share (0:
//     0.796 / 0.881; 0.3: 0.792).
//   - Question type: "when / what year / 언제" wants a year, month or
//     N년; "how many / how much / 몇 / 얼마" a number; "who / where" a
//     capitalised word the question does not have: +0.15 (0: 0.800 /
//     0.868, B 0.750 / 0.858). "what company / which country" as names:
//     no change, left out.
//   - Word vectors (softmatch's GloVe table and its candidate IDF, cosine
//     >= 0.4) for question words in other words: +0.3 × soft coverage (0:
//     0.798 / 0.875, B 0.758 / 0.856; 0.5 and 1 no better).
//   - A sentence that starts with a pronoun counts its predecessor's terms
//     at 0.7, and every sentence its section heading's (docs have
//     headings, SQuAD none): within one question on A either way; kept for
//     the docs ("It was designed by …" after the sentence naming the
//     building).
//   - "What is X?" / "X란 무엇인가요?" prefers "X is …" / "X는 …": no change on
//     SQuAD, fixes "What is BM25?" on the sample corpus.
//   - Sentences about the page itself ("This page explains …", "이 문서는
//     …") and list introductions are not quoted.
// The sample corpus: TestSampleAnswers asks 12 questions (6 English, 6
// Korean; README's and the docs' headings): 9 begin with the sentence
// that answers; 3 are known misses, logged by the test (resuming a
// dropped stream, in both languages, and 답변 중지: the answering sentences
// share no word with the question). Speed: BenchmarkExtractive (5
// passages of 1,000 characters) 0.9-1.1 ms an answer, 0.5-0.6 ms before;
// a third of it is the word-vector matching.
