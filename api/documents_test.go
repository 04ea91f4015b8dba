package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ragchat/api"
	v1 "ragchat/api/v1"
	"ragchat/rag"
	"ragchat/rag/offline"
	"ragchat/search/embedded"
	"ragchat/store"
)

// docService is the real ingestion path (SQLite store, embedded index,
// hash embedder) behind the api.Documents interface.
type docService struct {
	*rag.Ingester
	db *store.DB
}

func (d docService) Document(ctx context.Context, id string) (rag.Document, error) {
	return d.db.Document(ctx, id)
}

func (d docService) ListDocuments(ctx context.Context, cursor string, limit int) ([]rag.Document, string, error) {
	return d.db.ListDocuments(ctx, cursor, limit)
}

func newDocServer(t testing.TB, cfg api.Config) (string, *embedded.Store) {
	t.Helper()
	return newDocServerWith(t, cfg, api.Deps{})
}

// newDocServerWith is newDocServer with deps' Extract set.
func newDocServerWith(t testing.TB, cfg api.Config, deps api.Deps) (string, *embedded.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	ix, err := embedded.Open(filepath.Join(dir, "index"), embedded.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	in := &rag.Ingester{Documents: db.DocumentStore(), Index: ix, Embedder: offline.NewHashEmbedder(0)}
	mux := http.NewServeMux()
	deps.Documents = docService{in, db}
	api.New(mux, deps, cfg)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL, ix
}

type part struct {
	name, filename, ctype string
	data                  []byte
}

// multipartBody encodes parts as multipart/form-data.
func multipartBody(t testing.TB, parts ...part) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
		}
		if p.ctype != "" {
			h.Set("Content-Type", p.ctype)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.data)
	}
	w.Close()
	return &b, w.FormDataContentType()
}

func upload(t *testing.T, base string, parts ...part) *http.Response {
	t.Helper()
	body, ctype := multipartBody(t, parts...)
	resp, err := http.Post(base+"/api/v1/documents/upload", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeDoc(t *testing.T, resp *http.Response) v1.Document {
	t.Helper()
	var d v1.Document
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "extract", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUploadDocument(t *testing.T) {
	base, ix := newDocServer(t, api.Config{})
	tests := []struct {
		name                 string
		parts                []part
		status               int
		title, ctype, source string
	}{
		{"markdown", []part{{"file", "notes.md", "", testdata(t, "notes.md")}}, 201, "Notes", "text/markdown", ""},
		{"same markdown again", []part{{"file", "copy.md", "text/markdown", testdata(t, "notes.md")}}, 200, "Notes", "text/markdown", ""},
		{"html", []part{{"file", "page.html", "text/html; charset=utf-8", testdata(t, "page.html")}}, 201, "Vector search & BM25", "text/html", ""},
		{"pdf sniffed", []part{{"file", "blob", "application/octet-stream", testdata(t, "hello.pdf")}}, 201, "Hello PDF", "application/pdf", ""},
		{"fields", []part{
			{"file", "a.txt", "text/plain", []byte("Plain words about fusion.")},
			{"title", "", "", []byte("My title")}, {"url", "", "", []byte("https://example.com/a")}, {"source", "", "", []byte("wiki:a")},
		}, 201, "My title", "text/plain", "wiki:a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := upload(t, base, tt.parts...)
			if resp.StatusCode != tt.status {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			d := decodeDoc(t, resp)
			if d.Title != tt.title || d.ContentType != tt.ctype || d.Source != tt.source || d.ChunkCount == 0 || d.ID == "" {
				t.Errorf("document %+v, want title %q type %q source %q", d, tt.title, tt.ctype, tt.source)
			}
		})
	}
	n, _ := ix.Count(context.Background())
	if n == 0 {
		t.Errorf("nothing indexed")
	}

	// A changed file at the same source replaces the document, keeping its id.
	first := decodeDoc(t, upload(t, base, part{"file", "r.md", "", []byte("# Version one\n\nalpha")}, part{"source", "", "", []byte("s:r")}))
	resp := upload(t, base, part{"file", "r.md", "", []byte("# Version two\n\nbeta")}, part{"source", "", "", []byte("s:r")})
	second := decodeDoc(t, resp)
	if resp.StatusCode != http.StatusOK || second.ID != first.ID || second.Hash == first.Hash || second.Title != "Version two" {
		t.Errorf("replace: status %d, %+v after %+v", resp.StatusCode, second, first)
	}
}

func TestUploadDocumentErrors(t *testing.T) {
	const limit = 4 << 10
	base, _ := newDocServer(t, api.Config{MaxUploadBytes: limit})
	big := bytes.Repeat([]byte("word "), 2*limit/5)
	tests := []struct {
		name   string
		parts  []part
		status int
		detail string // in the problem's detail or its errors' messages
	}{
		{"too large", []part{{"file", "big.txt", "text/plain", big}}, 413, "upload limit of 4 KiB"},
		{"unsupported", []part{{"file", "image.png", "image/png", testdata(t, "image.png")}}, 415, "supported: Markdown"},
		{"unsupported sniffed", []part{{"file", "image.bin", "", testdata(t, "image.png")}}, 415, "PDF (.pdf"},
		{"empty", []part{{"file", "empty.md", "", nil}}, 422, "has no text"},
		{"only script", []part{{"file", "s.html", "", testdata(t, "onlyscript.html")}}, 422, "has no text"},
		{"corrupt pdf", []part{{"file", "corrupt.pdf", "application/pdf", testdata(t, "corrupt.pdf")}}, 422, "not a readable PDF"},
		{"not utf-8", []part{{"file", "latin1.txt", "", testdata(t, "latin1.txt")}}, 422, "not UTF-8"},
		{"no file part", []part{{"title", "", "", []byte("x")}}, 422, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := upload(t, base, tt.parts...)
			checkProblem(t, resp, tt.status, tt.detail)
		})
	}

	t.Run("too large without Content-Length", func(t *testing.T) {
		body, ctype := multipartBody(t, part{"file", "big.txt", "text/plain", big})
		pr, pw := io.Pipe()
		go func() { io.Copy(pw, body); pw.Close() }()
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/documents/upload", pr)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkProblem(t, resp, 413, "upload limit")
	})
	t.Run("json to the upload path", func(t *testing.T) {
		resp, err := http.Post(base+"/api/v1/documents/upload", "application/json", strings.NewReader(`{"title":"x","text":"y"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkProblem(t, resp, 415, "multipart/form-data")
	})
}

func checkProblem(t *testing.T, resp *http.Response, status int, detail string) {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, b)
	}
	p := decodeProblem(t, resp)
	text := p.Detail
	for _, e := range p.Errors {
		text += " | " + e.Message
	}
	if !strings.Contains(text, detail) {
		t.Errorf("problem %q does not say %q", text, detail)
	}
}

func TestAddDocumentJSON(t *testing.T) {
	base, _ := newDocServer(t, api.Config{})
	post := func() (*http.Response, v1.Document) {
		resp, err := http.Post(base+"/api/v1/documents", "application/json", strings.NewReader(`{"title":"T","text":"Some text about BM25."}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp, decodeDoc(t, resp)
	}
	r1, d1 := post()
	r2, d2 := post()
	if r1.StatusCode != 201 || r2.StatusCode != 200 || d1.ID != d2.ID {
		t.Errorf("statuses %d, %d; ids %q, %q", r1.StatusCode, r2.StatusCode, d1.ID, d2.ID)
	}
}

func TestUploadInOpenAPI(t *testing.T) {
	spec := api.Spec()
	item := spec.Paths["/api/v1/documents/upload"]
	if item == nil || item.Post == nil || item.Post.RequestBody == nil {
		t.Fatal("no POST /api/v1/documents/upload")
	}
	mt := item.Post.RequestBody.Content["multipart/form-data"]
	if mt == nil || mt.Schema == nil || mt.Schema.Properties["file"] == nil {
		t.Fatalf("upload has no multipart file part: %+v", item.Post.RequestBody)
	}
	for _, code := range []string{"201", "413", "415", "422"} {
		if item.Post.Responses[code] == nil {
			t.Errorf("no %s response documented", code)
		}
	}
}
