package extract

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and testdata/hello.pdf")

// writePDF builds a minimal, valid PDF (one Helvetica page per text, each
// line a text line) with an Info title. It is how testdata/hello.pdf was
// made (go test ./extract -update).
func writePDF(title string, pages ...[]string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	esc := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	b.WriteString("%PDF-1.4\n")
	// 1 catalog, 2 pages, 3 font, 4 info, then page/content pairs.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 5+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(fmt.Sprintf("<< /Title (%s) /Producer (ragchat test) >>", esc.Replace(title)))
	for i, lines := range pages {
		var content strings.Builder
		content.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for _, l := range lines {
			fmt.Fprintf(&content, "(%s) Tj T*\n", esc.Replace(l))
		}
		content.WriteString("ET")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 6+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", content.Len(), content.String()))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

func TestHelloPDFIsCurrent(t *testing.T) {
	want := writePDF("Hello PDF", []string{"Ragchat reads PDF text.", "Second line here."}, []string{"Page two talks about retrieval."})
	path := filepath.Join("testdata", "hello.pdf")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("testdata/hello.pdf is not what writePDF makes; run go test ./extract -update")
	}
}

func TestFile(t *testing.T) {
	tests := []struct {
		file, declared string
		wantType       string
		wantTitle      string
		wantKind       error // nil: success, compared with the golden file
	}{
		{file: "notes.md", wantType: Markdown},
		{file: "bom.txt", wantType: Text},
		{file: "crlf.txt", declared: "text/plain; charset=utf-8", wantType: Text},
		{file: "page.html", wantType: HTMLType, wantTitle: "Vector search & BM25"},
		{file: "latin1.html", declared: "text/html; charset=iso-8859-1", wantType: HTMLType, wantTitle: "Café"},
		{file: "notitle.htm", declared: "application/octet-stream", wantType: HTMLType, wantTitle: "Only a heading"},
		{file: "hello.pdf", wantType: PDFType, wantTitle: "Hello PDF"},
		{file: "hello.pdf", declared: "application/octet-stream", wantType: PDFType, wantTitle: "Hello PDF"},
		{file: "corrupt.pdf", wantKind: rag.ErrInvalid},
		{file: "truncated.pdf", wantKind: rag.ErrInvalid},
		{file: "empty.md", wantKind: rag.ErrInvalid},
		{file: "onlyscript.html", wantKind: rag.ErrInvalid},
		{file: "latin1.txt", wantKind: rag.ErrInvalid},
		{file: "image.png", wantKind: rag.ErrUnsupported},
		{file: "image.png", declared: "image/png", wantKind: rag.ErrUnsupported},
		{file: "notes.md", declared: "text/markdown", wantType: Markdown},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.declared, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			got, err := File(tt.file, tt.declared, data)
			if tt.wantKind != nil {
				if !errors.Is(err, tt.wantKind) {
					t.Fatalf("File: error %v, want kind %v", err, tt.wantKind)
				}
				var fe *rag.FieldError
				if !errors.As(err, &fe) || fe.Field != "file" {
					t.Errorf("error %v is not a field error for file", err)
				}
				if tt.wantKind == rag.ErrUnsupported && !strings.Contains(err.Error(), "PDF (.pdf") {
					t.Errorf("unsupported error %q does not name the supported types", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("File: %v", err)
			}
			if got.ContentType != tt.wantType || got.Title != tt.wantTitle {
				t.Errorf("type %q title %q, want %q %q", got.ContentType, got.Title, tt.wantType, tt.wantTitle)
			}
			golden(t, tt.file+".golden", got.Text)
		})
	}
}

func TestPDFCorruptReason(t *testing.T) {
	_, err := File("x.pdf", "", readTestdata(t, "corrupt.pdf"))
	if err == nil || !strings.Contains(err.Error(), "is not a readable PDF") {
		t.Fatalf("error %v, want one saying the PDF is not readable", err)
	}
	// A valid PDF whose page has no text: a scanned document.
	_, err = File("x.pdf", "", writePDF("scan", []string{}))
	if !errors.Is(err, rag.ErrInvalid) || !strings.Contains(err.Error(), "no text layer") {
		t.Fatalf("error %v, want no text layer", err)
	}
}

func TestTypeOf(t *testing.T) {
	tests := []struct {
		name, declared, data, want string
	}{
		{"a.MD", "", "x", Markdown},
		{"a.markdown", "application/octet-stream", "x", Markdown},
		{"a.bin", "text/markdown; charset=utf-8", "x", Markdown},
		{"upload", "", "%PDF-1.7\n", PDFType},
		{"upload", "", "<!doctype html><p>x", HTMLType},
		{"upload", "", "just words", Text},
		{"a.txt", "text/html", "<p>x", HTMLType},
		{"a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "PK", ""},
	}
	for _, tt := range tests {
		got, err := TypeOf(tt.name, tt.declared, []byte(tt.data))
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("TypeOf(%q, %q) = %q, %v; want %q", tt.name, tt.declared, got, err, tt.want)
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./extract -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}
