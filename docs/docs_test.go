package docs

import (
	"io/fs"
	"strings"
	"testing"

	"ragchat/rag"
)

// TestSample checks the corpus as the server ingests it: every file has a
// "# Title" first line, is in the language its name says, splits into
// chunks, and has its translation.
func TestSample(t *testing.T) {
	files, err := fs.Glob(Sample, "*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("the sample corpus has %d files, want at least 6", len(files))
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f] = true
	}
	for _, f := range files {
		b, err := fs.ReadFile(Sample, f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		first, _, _ := strings.Cut(text, "\n")
		if !strings.HasPrefix(first, "# ") || strings.TrimSpace(first[2:]) == "" {
			t.Errorf("%s: first line %q is not a \"# Title\"", f, first)
		}
		topic, lang, ok := strings.Cut(strings.TrimSuffix(f, ".md"), ".")
		if !ok || (lang != "en" && lang != "ko") {
			t.Errorf("%s: name is not TOPIC.en.md or TOPIC.ko.md", f)
			continue
		}
		if got := rag.DetectLang(text); got != lang {
			t.Errorf("%s: DetectLang = %q, want %q", f, got, lang)
		}
		other := map[string]string{"en": "ko", "ko": "en"}[lang]
		if !have[topic+"."+other+".md"] {
			t.Errorf("%s has no translation %s.%s.md", f, topic, other)
		}
		chunks := rag.SplitText(text, rag.ChunkOptions{})
		if len(chunks) < 3 {
			t.Errorf("%s: %d chunks; a user document should have a few sections", f, len(chunks))
		}
		for _, c := range chunks {
			if c.Heading == "" {
				t.Errorf("%s: chunk %q has no heading", f, c.Text)
			}
		}
	}
}
