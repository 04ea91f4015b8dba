//go:build !js

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "ragchat/api/v1"
	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/search/embedded"
	"ragchat/store"
	"ragchat/store/storetest"
)

func extractTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("extract", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadFile posts one file (and form fields) to the upload endpoint.
func uploadFile(t *testing.T, base, filename, ctype string, data []byte, fields map[string]string) (int, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	h := make(map[string][]string)
	h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name="file"; filename=%q`, filename)}
	if ctype != "" {
		h["Content-Type"] = []string{ctype}
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	pw.Write(data)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	resp, err := http.Post(base+"/api/v1/documents/upload", w.FormDataContentType(), &b)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func docOf(t *testing.T, body []byte) v1.Document {
	t.Helper()
	var d v1.Document
	if err := json.Unmarshal(body, &d); err != nil || d.ID == "" {
		t.Fatalf("not a document: %s (%v)", body, err)
	}
	return d
}

// searchIDs returns the documents of the passages a BM25 search finds.
func searchIDs(t *testing.T, base, query string) map[string]bool {
	t.Helper()
	req, _ := json.Marshal(v1.SearchRequest{Query: query, K: 10, Mode: "bm25"})
	resp, err := http.Post(base+"/api/v1/search", "application/json", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out v1.SearchResponse
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("search: %d %s", resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, p := range out.Passages {
		ids[p.DocumentID] = true
	}
	return ids
}

func TestE2EDocumentUpload(t *testing.T) {
	base, _ := startServer(t, map[string]string{"RAGCHAT_SAMPLE_CORPUS": "false", "RAGCHAT_MAX_UPLOAD_BYTES": "65536"})

	// Markdown, HTML and PDF uploads each become a searchable document.
	uploads := []struct {
		file, ctype string
		data        []byte
		query       string // a word only this file has
		wantType    string
	}{
		{"notes.md", "", []byte("# Zebrafish notes\n\nThe zebrafish regenerates its fins.\n"), "zebrafish", "text/markdown"},
		{"page.html", "text/html", extractTestdata(t, "page.html"), "reciprocal", "text/html"},
		{"hello.pdf", "application/pdf", extractTestdata(t, "hello.pdf"), "ragchat", "application/pdf"},
	}
	ids := map[string]string{}
	for _, u := range uploads {
		status, body := uploadFile(t, base, u.file, u.ctype, u.data, map[string]string{"source": "notes/" + u.file})
		if status != http.StatusCreated {
			t.Fatalf("%s: status %d: %s", u.file, status, body)
		}
		d := docOf(t, body)
		if d.ContentType != u.wantType || d.ChunkCount == 0 {
			t.Errorf("%s: %+v", u.file, d)
		}
		ids[u.file] = d.ID
		if found := searchIDs(t, base, u.query); !found[d.ID] {
			t.Errorf("%s: search %q did not find it (%v)", u.file, u.query, found)
		}
	}
	// A script in the HTML page was dropped.
	if found := searchIDs(t, base, "tracking"); found[ids["page.html"]] {
		t.Errorf("the HTML page's script text was indexed")
	}

	// The same content again: 200 with the same document.
	status, body := uploadFile(t, base, "again.md", "", uploads[0].data, nil)
	if d := docOf(t, body); status != http.StatusOK || d.ID != ids["notes.md"] {
		t.Errorf("re-upload: %d %+v, want 200 and id %s", status, d, ids["notes.md"])
	}

	// Without a source, a different file of the same name is a new document.
	status, body = uploadFile(t, base, "notes.md", "", []byte("# Other notes\n\nThe quokka is a marsupial.\n"), nil)
	if d := docOf(t, body); status != http.StatusCreated || d.ID == ids["notes.md"] {
		t.Errorf("same name, no source: %d %+v, want a new document", status, d)
	}

	// A changed file at the same source replaces the old version.
	status, body = uploadFile(t, base, "notes.md", "", []byte("# Okapi notes\n\nThe okapi is a giraffid.\n"), map[string]string{"source": "notes/notes.md"})
	replaced := docOf(t, body)
	if status != http.StatusOK || replaced.ID != ids["notes.md"] || replaced.Title != "Okapi notes" {
		t.Errorf("replace: %d %+v", status, replaced)
	}
	if found := searchIDs(t, base, "zebrafish"); found[replaced.ID] {
		t.Errorf("the replaced version is still found")
	}
	if found := searchIDs(t, base, "okapi"); !found[replaced.ID] {
		t.Errorf("the new version is not found")
	}

	// Delete: gone from the API and from search.
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/documents/"+ids["hello.pdf"], nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if found := searchIDs(t, base, "ragchat"); found[ids["hello.pdf"]] {
		t.Errorf("a deleted document is still found")
	}
	if resp, err := http.Get(base + "/api/v1/documents/" + ids["hello.pdf"]); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("get deleted: %v %v", resp.StatusCode, err)
	}

	// Bad uploads.
	bad := []struct {
		name, file, ctype string
		data              []byte
		status            int
		says              string
	}{
		{"over the limit", "big.txt", "text/plain", bytes.Repeat([]byte("many words "), 7000), 413, "upload limit"},
		{"unsupported", "photo.png", "image/png", extractTestdata(t, "image.png"), 415, "supported: Markdown"},
		{"empty", "empty.txt", "text/plain", nil, 422, "has no text"},
		{"corrupt pdf", "broken.pdf", "application/pdf", extractTestdata(t, "corrupt.pdf"), 422, "not a readable PDF"},
	}
	for _, b := range bad {
		status, body := uploadFile(t, base, b.file, b.ctype, b.data, nil)
		if status != b.status || !strings.Contains(string(body), b.says) {
			t.Errorf("%s: %d %s; want %d saying %q", b.name, status, body, b.status, b.says)
		}
	}
}

// testConfig is the configuration commands get for a data directory.
func testConfig(t testing.TB, dataDir string) config {
	t.Helper()
	var cfg config
	fs, env := cfg.flagSet("test", io.Discard)
	if err := parseFlags(fs, env, nil, func(k string) string {
		if k == "RAGCHAT_DATA_DIR" {
			return dataDir
		}
		return ""
	}); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestIngestCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	docs := filepath.Join(dir, "docs")
	files := map[string][]byte{
		"a.md":              []byte("# Alpha\n\nAlpha text about lanterns.\n"),
		"sub/b.html":        extractTestdata(t, "page.html"),
		"sub/c.pdf":         extractTestdata(t, "hello.pdf"),
		"sub/broken.pdf":    extractTestdata(t, "corrupt.pdf"),
		"empty.txt":         nil,
		"skipped.png":       extractTestdata(t, "image.png"), // not picked in a folder walk
		".hidden/secret.md": []byte("# Secret\n\nnot ingested"),
	}
	for name, b := range files {
		p := filepath.Join(docs, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	getenv := func(k string) string {
		return map[string]string{"RAGCHAT_DATA_DIR": data, "RAGCHAT_LOG_LEVEL": "warn", "RAGCHAT_SAMPLE_CORPUS": "false"}[k]
	}
	ctx := context.Background()
	ingest := func(paths ...string) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"ingest"}, paths...), getenv, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}

	out, errOut, err := ingest(docs)
	if err == nil {
		t.Fatalf("ingest with bad files succeeded: %s", out)
	}
	for _, name := range []string{"broken.pdf", "empty.txt"} {
		if !strings.Contains(err.Error(), name) || !strings.Contains(errOut, name) {
			t.Errorf("the error %q / stderr %q do not name %s", err, errOut, name)
		}
	}
	if strings.Contains(errOut, "secret") || strings.Contains(errOut, "skipped.png") {
		t.Errorf("hidden or unsupported files in a folder were tried: %s", errOut)
	}
	if !strings.Contains(out, "ingested 5 files: 3 new or changed") || !strings.Contains(out, "2 failed") {
		t.Errorf("summary: %q", out)
	}

	// Again: nothing new; a file named on the command line with another
	// type fails naming the supported ones.
	out, _, err = ingest(filepath.Join(docs, "a.md"), filepath.Join(docs, "skipped.png"))
	if err == nil || !strings.Contains(err.Error(), "skipped.png") || !strings.Contains(out, "1 unchanged") {
		t.Errorf("second run: %v, %q", err, out)
	}
	out, _, err = ingest(filepath.Join(docs, "a.md"))
	if err != nil || !strings.Contains(out, "0 new or changed (0 chunks), 1 unchanged, 0 failed") {
		t.Errorf("third run: %v, %q", err, out)
	}

	// The store holds exactly the three good documents, fully indexed.
	checkConsistent(t, data, 3)

	// While another process (a server) holds the data directory, ingest
	// refuses and points to the API.
	cfg := testConfig(t, data)
	release, err := lockDataDir(&cfg, "ragchat serve")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = ingest(filepath.Join(docs, "a.md"))
	release()
	if err == nil || !strings.Contains(err.Error(), "POST /api/v1/documents") || !strings.Contains(err.Error(), "ragchat serve") {
		t.Errorf("ingest while locked: %v", err)
	}
}

// checkConsistent opens the data directory as a writer would (recovering
// an index left unfinished) and checks that every document has all its
// chunks in the database and that the index holds exactly those chunks,
// each document findable. want < 0 accepts any document count.
func checkConsistent(t *testing.T, dataDir string, want int) int {
	t.Helper()
	ctx := context.Background()
	cfg := testConfig(t, dataDir)
	s, err := openForWriting(ctx, &cfg, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	var docs []rag.Document
	cursor := ""
	for {
		page, next, err := s.db.ListDocuments(ctx, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if want >= 0 && len(docs) != want {
		t.Errorf("%d documents, want %d", len(docs), want)
	}
	total := 0
	for _, d := range docs {
		chunks, err := s.db.Chunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) == 0 || len(chunks) != d.ChunkCount {
			t.Errorf("document %s (%s) has %d of %d chunks", d.ID, d.Source, len(chunks), d.ChunkCount)
		}
		total += len(chunks)
		// Its first chunk is in the index: a search for its exact text finds it.
		ps, err := s.index.Search(ctx, rag.Query{Text: chunks[0].Text, K: 50, Mode: rag.ModeBM25})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, p := range ps {
			found = found || p.Chunk.ID == chunks[0].ID
		}
		if !found {
			t.Errorf("document %s (%s): its first chunk is not in the index", d.ID, d.Source)
		}
	}
	n, err := s.index.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != total {
		t.Errorf("the index holds %d chunks, the documents %d", n, total)
	}
	return len(docs)
}

// TestIngestHelperProcess is the ingest that TestIngestKilled kills; it
// only runs as that test's child process.
func TestIngestHelperProcess(t *testing.T) {
	if os.Getenv("RAGCHAT_TEST_INGEST_CHILD") != "1" {
		t.Skip("runs only as the child process of TestIngestKilled")
	}
	getenv := func(k string) string {
		return map[string]string{"RAGCHAT_DATA_DIR": os.Getenv("RAGCHAT_TEST_DATA_DIR"), "RAGCHAT_LOG_LEVEL": "warn"}[k]
	}
	err := run(context.Background(), []string{"ingest", os.Getenv("RAGCHAT_TEST_DOCS")}, getenv, os.Stdout, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
}

func TestIngestKilled(t *testing.T) {
	dir := t.TempDir()
	data, docs := filepath.Join(dir, "data"), filepath.Join(dir, "docs")
	os.MkdirAll(docs, 0o755)
	const nfiles = 3000
	for i := range nfiles {
		var b strings.Builder
		fmt.Fprintf(&b, "# Document %d\n\n", i)
		for j := range 6 {
			fmt.Fprintf(&b, "## Part %d\n\nUniqueword%dx%d appears here with filler text about lanterns and rivers number %d.\n\n", j, i, j, i*7+j)
		}
		if err := os.WriteFile(filepath.Join(docs, fmt.Sprintf("doc%04d.md", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestIngestHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "RAGCHAT_TEST_INGEST_CHILD=1", "RAGCHAT_TEST_DATA_DIR="+data, "RAGCHAT_TEST_DOCS="+docs)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Kill it once it has stored some documents (it is then mid-way: the
	// files are many, each fsynced).
	ctx := context.Background()
	for stored := 0; stored < 30; {
		select {
		case err := <-exited:
			t.Fatalf("the ingest ended before it was killed (%v); output:\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(data, "ragchat.db")); err != nil {
			continue
		}
		db, err := store.Open(ctx, filepath.Join(data, "ragchat.db"))
		if err != nil {
			continue
		}
		stored, _ = db.CountDocuments(ctx) // errors (no table yet, busy) just mean: not yet
		db.Close()
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err == nil {
		t.Fatalf("the ingest finished before it was killed; output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(data, dirtyName)); err != nil {
		t.Errorf("no %s mark after the kill: %v", dirtyName, err)
	}

	n := checkConsistent(t, data, -1)
	if n == 0 || n >= nfiles {
		t.Errorf("%d documents after the kill; want some but not all of %d", n, nfiles)
	}
	if _, err := os.Stat(filepath.Join(data, dirtyName)); !os.IsNotExist(err) {
		t.Errorf("the %s mark is still there after a clean close: %v", dirtyName, err)
	}
}

// benchPassages returns n documents made from the evaluation passages
// (English and Korean Wikipedia paragraphs), cycled with a copy number so
// that every text is new.
func benchPassages(b *testing.B, n int) []rag.Document {
	b.Helper()
	var base []rag.Document
	for _, set := range []string{"en_squad11_dev", "ko_kobest_boolq"} {
		f, err := os.ReadFile(filepath.Join("..", "shared", "data", set, "passages.jsonl"))
		if err != nil {
			b.Fatalf("passages: %v", err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(f), []byte("\n")) {
			var p struct{ ID, Title, Text string }
			if err := json.Unmarshal(line, &p); err != nil {
				b.Fatal(err)
			}
			base = append(base, rag.Document{Title: p.Title, Text: p.Text, Source: "bench:" + p.ID, ContentType: "text/plain"})
		}
	}
	docs := make([]rag.Document, n)
	for i := range docs {
		d := base[i%len(base)]
		if c := i / len(base); c > 0 {
			d.Text += fmt.Sprintf(" (copy %d)", c)
			d.Source += fmt.Sprintf("#%d", c)
		}
		docs[i] = d
	}
	return docs
}

// BenchmarkIngest10k ingests 10,000 passages (one document each) with the
// offline hash embedder into the embedded index (fsync on, as served) and
// the SQL store, one document at a time as the CLI does; the nosync cases
// turn off the index's fsync to show what the disk costs. The PostgreSQL
// cases need RAGCHAT_TEST_DATABASE_URL.
//
//	go test -run '^$' -bench BenchmarkIngest10k -benchtime 1x .
func BenchmarkIngest10k(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("RAGCHAT_BENCH_DOCS")); err == nil && v > 0 {
		n = v // a smaller run for profiling
	}
	docs := benchPassages(b, n)
	for _, c := range []struct {
		dialect string
		noSync  bool
	}{{store.SQLite, false}, {store.SQLite, true}, {store.Postgres, false}, {store.Postgres, true}} {
		name := c.dialect + "/fsync"
		if c.noSync {
			name = c.dialect + "/nosync" // the index without fsync: what the disk costs
		}
		dialect := c.dialect
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			chunks := 0
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				db := storetest.Open(b, dialect)
				ix, err := embedded.Open(filepath.Join(b.TempDir(), "index"), embedded.Options{NoSync: c.noSync})
				if err != nil {
					b.Fatal(err)
				}
				in := &rag.Ingester{Documents: db.DocumentStore(), Index: ix, Embedder: offline.NewHashEmbedder(0)}
				b.StartTimer()
				start := time.Now()
				for _, d := range docs {
					saved, _, err := in.Add(ctx, d)
					if err != nil {
						b.Fatal(err)
					}
					chunks += saved.ChunkCount
				}
				elapsed += time.Since(start)
				b.StopTimer()
				ix.Close()
			}
			b.ReportMetric(float64(chunks)/elapsed.Seconds(), "chunks/s")
			b.ReportMetric(float64(len(docs)*b.N)/elapsed.Seconds(), "docs/s")
		})
	}
}
