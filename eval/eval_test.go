package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ragchat/rag"
	"ragchat/rag/offline"
)

func runSet(t *testing.T, dir string, mode rag.SearchMode) Result {
	t.Helper()
	ctx := context.Background()
	passages, err := LoadPassages(filepath.Join("testdata", dir, "passages.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	questions, err := LoadQuestions(filepath.Join("testdata", dir, "questions.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	store, closeStore, err := OpenEmbedded(ctx, "embedded", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	emb := offline.NewHashEmbedder(0)
	if err := Ingest(ctx, store, emb, passages); err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(ctx, store, emb, questions, mode, 10)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRecallFloor fails when retrieval on the regression subsets (see
// testdata/README.md) gets worse. Everything involved is deterministic, so
// the floors sit one question (0.025 of 40) below what the tuned defaults
// score today (noted beside each floor); losing two questions fails. On the
// full sets the same settings give EN R@1 0.811 / R@10 0.974 and KO R@1
// 0.969 / R@10 0.998 (hybrid; see doc.go): the EN subset is harder than the
// full set (two long articles, many similar paragraphs), the KO subset
// easier (fewer distractors; it scores 1.000, so its floor guards against
// a broken Korean path rather than small losses). The vector mode is checked on Korean
// because it is the hash embedder's Hangul handling that a tokenizer change
// could break. Raise a floor when an improvement lifts the score; lower it
// only with a measured reason.
func TestRecallFloor(t *testing.T) {
	tests := []struct {
		set           string
		mode          rag.SearchMode
		minR1, minR10 float64
	}{
		{"en", rag.ModeHybrid, 0.775, 0.950}, // scores 0.800, 0.975
		{"en", rag.ModeBM25, 0.775, 0.925},   // scores 0.800, 0.950
		{"ko", rag.ModeHybrid, 0.975, 0.975}, // scores 1.000, 1.000
		{"ko", rag.ModeVector, 0.950, 0.975}, // scores 0.975, 1.000
	}
	for _, tt := range tests {
		t.Run(tt.set+"/"+string(tt.mode), func(t *testing.T) {
			res := runSet(t, tt.set, tt.mode)
			t.Logf("R@1 %.3f R@5 %.3f R@10 %.3f MRR@10 %.3f", res.Recall1, res.Recall5, res.Recall10, res.MRR10)
			if res.Recall1 < tt.minR1 || res.Recall10 < tt.minR10 {
				t.Errorf("R@1 %.3f, R@10 %.3f: below the floor R@1 %.3f, R@10 %.3f", res.Recall1, res.Recall10, tt.minR1, tt.minR10)
			}
		})
	}
}

func TestMainOutput(t *testing.T) {
	ctx := context.Background()
	base := []string{"--passages", "testdata/ko/passages.jsonl", "--questions", "testdata/ko/questions.jsonl"}
	t.Run("json", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if err := Main(ctx, append(base, "--json", "--mode", "bm25", "-k", "5"), &out, &errOut, nil); err != nil {
			t.Fatalf("Main: %v (stderr %s)", err, errOut.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
		}
		for _, key := range []string{"recall@1", "recall@5", "recall@10", "mrr@10", "p50_ms", "p95_ms"} {
			if _, ok := got[key].(float64); !ok {
				t.Errorf("JSON has no number %q: %s", key, out.String())
			}
		}
		if got["mode"] != "bm25" || got["store"] != "embedded" || got["questions"] != 40.0 || got["passages"] != 279.0 {
			t.Errorf("JSON describes the wrong run: %s", out.String())
		}
	})
	t.Run("json with answers", func(t *testing.T) {
		var out, errOut bytes.Buffer
		args := []string{"--passages", "testdata/en/passages.jsonl", "--questions", "testdata/en/questions.jsonl", "--json"}
		if err := Main(ctx, args, &out, &errOut, nil); err != nil {
			t.Fatalf("Main: %v (stderr %s)", err, errOut.String())
		}
		var got map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("output is not one JSON object: %v\n%s", err, out.String())
		}
		for _, key := range []string{"answer@1", "answer@3"} {
			if v, ok := got[key].(float64); !ok || v <= 0 || v > 1 {
				t.Errorf("JSON has no share %q: %s", key, out.String())
			}
		}
		if got["answered"] != 40.0 {
			t.Errorf("answered = %v, want 40: %s", got["answered"], out.String())
		}
	})
	t.Run("table", func(t *testing.T) {
		var out, errOut bytes.Buffer
		dir := t.TempDir()
		if err := Main(ctx, append(base, "--data-dir", dir), &out, &errOut, nil); err != nil {
			t.Fatalf("Main: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], "R@10") || !strings.Contains(lines[1], "hybrid") {
			t.Errorf("table output:\n%s", out.String())
		}
		if entries, _ := os.ReadDir(dir); len(entries) == 0 {
			t.Errorf("--data-dir %s holds no index files", dir)
		}
	})
	t.Run("store from the opener", func(t *testing.T) {
		var asked string
		open := func(ctx context.Context, kind, dir string) (rag.Store, func() error, error) {
			asked = kind
			return OpenEmbedded(ctx, "embedded", dir)
		}
		var out bytes.Buffer
		if err := Main(ctx, append(base, "--store", "elastic", "--json"), &out, &out, open); err != nil {
			t.Fatalf("Main: %v", err)
		}
		if asked != "elastic" || !strings.Contains(out.String(), `"store":"elastic"`) {
			t.Errorf("opener asked for %q; output %s", asked, out.String())
		}
	})
}

func TestMainErrors(t *testing.T) {
	ctx := context.Background()
	p, q := "testdata/ko/passages.jsonl", "testdata/ko/questions.jsonl"
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{\"id\": \"x\", \"question\": \"q\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := map[string][]string{
		"no passages":      {"--questions", q},
		"no questions":     {"--passages", p},
		"unknown mode":     {"--passages", p, "--questions", q, "--mode", "fuzzy"},
		"bad k":            {"--passages", p, "--questions", q, "-k", "0"},
		"unknown store":    {"--passages", p, "--questions", q, "--store", "elastic"},
		"missing file":     {"--passages", "testdata/none.jsonl", "--questions", q},
		"question no gold": {"--passages", p, "--questions", bad},
		"extra argument":   {"--passages", p, "--questions", q, "extra"},
		"unknown flag":     {"--passages", p, "--questions", q, "--fast"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := Main(ctx, args, &out, &errOut, nil); err == nil {
				t.Errorf("Main(%q) succeeded, want an error; output %s", args, out.String())
			}
		})
	}
}

// TestAnswerFloor fails when the offline answer to the English regression
// subset's questions (which carry the SQuAD answers) gets worse: answer@1
// is the share whose first quoted sentence holds a gold answer, answer@3
// the share with one in the first three. Deterministic, so each floor is
// one question (0.025) below today's score, noted beside it.
func TestAnswerFloor(t *testing.T) {
	res := runSet(t, "en", rag.ModeHybrid)
	if res.Answer1 == nil || res.Answer3 == nil || res.Answered != 40 {
		t.Fatalf("answered %d, answer@1 %v, answer@3 %v: want 40 questions scored", res.Answered, res.Answer1, res.Answer3)
	}
	t.Logf("answer@1 %.3f answer@3 %.3f (R@1 %.3f)", *res.Answer1, *res.Answer3, res.Recall1)
	const min1, min3 = 0.750, 0.850 // scores 0.775, 0.875 (0.750, 0.825 before the scoring of #14)
	if *res.Answer1 < min1 || *res.Answer3 < min3 {
		t.Errorf("answer@1 %.3f, answer@3 %.3f: below the floor %.3f, %.3f", *res.Answer1, *res.Answer3, min1, min3)
	}
	if ko := runSet(t, "ko", rag.ModeHybrid); ko.Answer1 != nil || ko.Answered != 0 {
		t.Errorf("the Korean set has no answers, yet answer@1 is %v over %d questions", ko.Answer1, ko.Answered)
	}
}

// TestSharedSets reports the figures on the full sets when
// RAGCHAT_EVAL_DATA names the folder that holds them (../shared/data is
// outside the repository): go test -run TestSharedSets -v ./eval/ with
// RAGCHAT_EVAL_DATA=$PWD/../shared/data. It asserts nothing beyond
// sanity; the floors are TestRecallFloor's and TestAnswerFloor's.
func TestSharedSets(t *testing.T) {
	dir := os.Getenv("RAGCHAT_EVAL_DATA")
	if dir == "" || testing.Short() {
		t.Skip("set RAGCHAT_EVAL_DATA to the folder with en_squad11_dev and ko_kobest_boolq to report on the full sets")
	}
	for _, set := range []string{"en_squad11_dev", "ko_kobest_boolq"} {
		t.Run(set, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := []string{"--passages", filepath.Join(dir, set, "passages.jsonl"), "--questions", filepath.Join(dir, set, "questions.jsonl")}
			if err := Main(context.Background(), args, &out, &errOut, nil); err != nil {
				t.Fatalf("Main: %v (%s)", err, errOut.String())
			}
			t.Logf("\n%s", out.String())
		})
	}
}

func TestContainsAnswer(t *testing.T) {
	tests := []struct {
		sentence string
		answers  []string
		want     bool
	}{
		{"The crisis began in October 1973.", []string{"october 1973"}, true},
		{"It began in\n October   1973.", []string{"October 1973"}, true},
		{"It began in 1974.", []string{"October 1973", "1973"}, false},
		{"Anything.", []string{""}, false},
		{"Anything.", nil, false},
	}
	for _, tt := range tests {
		if got := ContainsAnswer(tt.sentence, tt.answers); got != tt.want {
			t.Errorf("ContainsAnswer(%q, %q) = %v, want %v", tt.sentence, tt.answers, got, tt.want)
		}
	}
}
