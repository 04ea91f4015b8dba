package offline

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/docs"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestSentencesGolden splits pages of the sample corpus (English and
// Korean, with quotes, brackets, code spans, lists and "...") and compares
// the sentences, one a line, with testdata/sentences/*.golden. After a
// deliberate change, go test -run TestSentencesGolden -update and read the
// diff.
func TestSentencesGolden(t *testing.T) {
	for _, page := range []string{"sse.en.md", "sse.ko.md", "api.en.md", "api.ko.md"} {
		t.Run(page, func(t *testing.T) {
			b, err := fs.ReadFile(docs.Sample, page)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(sentences(string(b)), "\n") + "\n"
			golden := filepath.Join("testdata", "sentences", strings.TrimSuffix(page, ".md")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("sentences of %s (-want +got):\n%s", page, diff)
			}
		})
	}
}
