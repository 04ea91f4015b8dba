package extract

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"

	"ragchat/rag"
)

// maxPages bounds the page loop: the page count comes from the file and a
// corrupt one must not make the loop (nearly) endless.
const maxPages = 10000

// PDF extracts the text layer of a PDF, page by page (pages separated by a
// blank line), and the document title from its Info dictionary. Scanned
// pages without a text layer give no text. A file the parser cannot read
// is an ErrInvalid field error naming the reason.
//
// github.com/ledongthuc/pdf is used because it is pure Go (no cgo, no
// external tools), BSD-licensed (it descends from rsc.io/pdf) and small;
// the alternatives are either commercial (unipdf) or built for editing,
// not text extraction (pdfcpu). It panics on some malformed input, so
// every call into it is guarded.
func PDF(data []byte) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, rag.Invalid("file", "is not a readable PDF: %v", p)
		}
	}()
	if !bytes.HasPrefix(bytes.TrimLeft(data, "\x00\t\n\r "), []byte("%PDF-")) {
		return Result{}, rag.Invalid("file", "is not a readable PDF: no %%PDF- header")
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Result{}, rag.Invalid("file", "is not a readable PDF: %v", err)
	}
	if r.Trailer().Key("Encrypt").Kind() != pdf.Null {
		return Result{}, rag.Invalid("file", "is an encrypted PDF")
	}
	n := r.NumPage()
	if n <= 0 {
		return Result{}, rag.Invalid("file", "is not a readable PDF: it has no pages")
	}
	if n > maxPages {
		return Result{}, rag.Invalid("file", "is not a readable PDF: it claims %d pages (at most %d are read)", n, maxPages)
	}
	fonts := map[string]*pdf.Font{}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			return Result{}, rag.Invalid("file", "is not a readable PDF: page %d is missing", i)
		}
		for _, name := range p.Fonts() {
			if _, ok := fonts[name]; !ok {
				f := p.Font(name)
				fonts[name] = &f
			}
		}
		text, err := p.GetPlainText(fonts)
		if err != nil {
			return Result{}, rag.Invalid("file", "is not a readable PDF: page %d: %v", i, err)
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(text)
	}
	text := tidyLines(strings.ToValidUTF8(strings.ReplaceAll(b.String(), "\x00", ""), "\uFFFD"))
	title := pdfTitle(r)
	res, err = finish(Result{Text: text, Title: title, ContentType: PDFType})
	if err != nil {
		return Result{}, rag.Invalid("file", "has no text layer (a scanned PDF needs OCR first)")
	}
	return res, nil
}

// pdfTitle reads /Info /Title, a PDF text string (UTF-16 with a BOM or
// PDFDocEncoding).
func pdfTitle(r *pdf.Reader) string {
	v := r.Trailer().Key("Info").Key("Title")
	if v.Kind() != pdf.String {
		return ""
	}
	t := v.Text()
	if !utf8.ValidString(t) {
		return ""
	}
	return strings.TrimSpace(t)
}

// tidyLines trims each line's end and keeps at most one blank line in a
// row: text operators leave runs of empty lines between text objects.
func tidyLines(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
