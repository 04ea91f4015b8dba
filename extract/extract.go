// Package extract turns an uploaded file into text for ingestion: Markdown
// and plain text as they are (checked to be UTF-8, a byte-order mark
// dropped), HTML as its visible text with headings kept as Markdown "#"
// lines (so the chunker still splits on them), and the text layer of PDF
// files.
//
// An Extractor runs each extraction under Limits (pages, characters,
// decoded PDF bytes, a time budget that really stops the work), so that a
// crafted file gets a clear refusal instead of pinning a core or filling
// memory; see pdf.go for how the PDF reader is kept on a leash.
//
// Errors are classified with the rag error kinds: an unsupported type is
// rag.ErrUnsupported, a file that cannot be read or holds no text is a
// rag.ErrInvalid field error for "file", a file over a limit is a
// rag.ErrTooLarge one. Their messages are safe to show.
package extract

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"ragchat/rag"
)

// Content types of the supported formats.
const (
	Markdown = "text/markdown"
	Text     = "text/plain"
	HTMLType = "text/html"
	PDFType  = "application/pdf"
)

// Result is the text of a file.
type Result struct {
	Text        string // UTF-8, trimmed, never empty
	Title       string // from the file itself (HTML <title>, PDF Info) or empty
	ContentType string // one of the constants above
}

// Supported describes the supported formats, for messages.
const Supported = "Markdown (.md, .markdown, text/markdown), plain text (.txt, .text, text/plain), HTML (.html, .htm, text/html), PDF (.pdf, application/pdf)"

// byExt maps file extensions to content types.
var byExt = map[string]string{
	".md":       Markdown,
	".markdown": Markdown,
	".txt":      Text,
	".text":     Text,
	".html":     HTMLType,
	".htm":      HTMLType,
	".pdf":      PDFType,
}

// byType maps declared media types (and common aliases) to content types.
var byType = map[string]string{
	"text/markdown":         Markdown,
	"text/x-markdown":       Markdown,
	"text/plain":            Text,
	"text/html":             HTMLType,
	"application/xhtml+xml": HTMLType,
	"application/pdf":       PDFType,
	"application/x-pdf":     PDFType,
}

// Extension reports whether a file name has a supported extension, so that
// a folder walk can pick the files to ingest.
func Extension(name string) bool {
	_, ok := byExt[strings.ToLower(filepath.Ext(name))]
	return ok
}

// TypeOf decides a file's content type: a supported declared type wins
// (browsers derive it from the extension anyway), then the extension, then,
// when nothing specific was declared, the content itself (a PDF header, or
// what net/http sniffs as HTML or text).
func TypeOf(name, declared string, data []byte) (string, error) {
	mt, _, _ := mime.ParseMediaType(declared)
	mt = strings.ToLower(mt)
	if t, ok := byType[mt]; ok {
		return t, nil
	}
	if t, ok := byExt[strings.ToLower(filepath.Ext(name))]; ok {
		return t, nil
	}
	if mt == "" || mt == "application/octet-stream" {
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			return PDFType, nil
		}
		sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(data))
		if t, ok := byType[sniffed]; ok {
			return t, nil
		}
	}
	what := declared
	if ext := filepath.Ext(name); ext != "" {
		what = strings.TrimSpace(what + " " + ext)
	}
	if what == "" {
		what = "unknown"
	}
	return "", Unsupported(what)
}

// Unsupported is the error for a file of another type.
func Unsupported(what string) error {
	return &rag.FieldError{Field: "file", Kind: rag.ErrUnsupported,
		Message: "has an unsupported type (" + what + "); supported: " + Supported}
}

// File extracts the text of a file under the default Limits (see
// Extractor.File).
func File(name, declared string, data []byte) (Result, error) {
	return New(Limits{}).File(context.Background(), name, declared, data)
}

// Plain checks and returns Markdown or plain text.
func Plain(data []byte) (Result, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		return Result{}, rag.Invalid("file", "is not UTF-8 text")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return Result{}, rag.Invalid("file", "contains NUL bytes; it looks binary, not text")
	}
	return finish(Result{Text: string(data), ContentType: Text})
}

// finish normalises line ends and rejects empty text.
func finish(r Result) (Result, error) {
	r.Text = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(r.Text, "\r\n", "\n"), "\r", "\n"))
	r.Title = strings.Join(strings.Fields(r.Title), " ")
	if r.Text == "" {
		return Result{}, rag.Invalid("file", "has no text")
	}
	return r, nil
}
