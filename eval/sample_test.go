package eval

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"strings"
	"testing"

	"ragchat/docs"
	"ragchat/rag"
	"ragchat/rag/offline"
)

// docStore keeps nothing: the sample test needs only the search index.
type docStore struct{}

func (docStore) SaveDocument(_ context.Context, doc rag.Document, _ []rag.Chunk) (rag.Document, bool, error) {
	return doc, true, nil
}
func (docStore) DeleteDocument(context.Context, string) error { return nil }

// samplePipeline ingests the sample corpus (docs/) as a fresh install does,
// with the offline defaults: hash embedder, embedded store, extractive
// answerer.
func samplePipeline(t *testing.T) *rag.Pipeline {
	t.Helper()
	ctx := context.Background()
	store, closeStore, err := OpenEmbedded(ctx, "embedded", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore() })
	emb := offline.NewHashEmbedder(0)
	in := &rag.Ingester{Documents: docStore{}, Index: store, Embedder: emb}
	err = fs.WalkDir(docs.Sample, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		b, err := fs.ReadFile(docs.Sample, path)
		if err != nil {
			return err
		}
		_, _, err = in.Add(ctx, rag.Document{Text: string(b), Source: "sample:docs/" + path, ContentType: "text/markdown"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return &rag.Pipeline{Store: store, Embedder: emb, Generator: offline.NewExtractive()}
}

// TestSampleAnswers asks the sample corpus the questions of
// testdata/sample_questions.json (README's and the docs' own, in English
// and Korean) through the whole offline pipeline and checks that the first
// sentence of each answer is one that answers it. The expected sentences
// were picked by reading the docs; when the docs change, pick again.
func TestSampleAnswers(t *testing.T) {
	b, err := os.ReadFile("testdata/sample_questions.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Lang     string `json:"lang"`
		Question string `json:"question"`
		First    string `json:"first"` // the first quoted sentence, without its citation
		// KnownMiss says why the answerer does not begin with First yet;
		// such a case is reported, not failed, and fails once it passes
		// so that the note is removed.
		KnownMiss string `json:"known_miss"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	p := samplePipeline(t)
	for _, c := range cases {
		t.Run(c.Question, func(t *testing.T) {
			ans, err := p.Answer(context.Background(), rag.Question{Text: c.Question, Lang: c.Lang}, func(rag.Event) {})
			if err != nil {
				t.Fatal(err)
			}
			_, body, _ := strings.Cut(ans.Text, "\n\n")
			ok := strings.HasPrefix(body, c.First+" [")
			switch {
			case c.KnownMiss != "" && ok:
				t.Errorf("known miss %q now answers right: remove its known_miss", c.Question)
			case c.KnownMiss != "":
				t.Logf("known miss: %s", c.KnownMiss)
			case !ok:
				t.Errorf("answer to %q begins\n%.300s\nwant it to begin with %q", c.Question, body, c.First)
			}
		})
	}
}
