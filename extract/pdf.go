package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"

	"ragchat/rag"
)

// maxTreeDepth bounds the nesting of the page tree (real files nest a few
// levels; the walk is recursive).
const maxTreeDepth = 64

// PDF extracts the text layer of a PDF under the default limits, without a
// time budget; Extractor.File adds one.
func PDF(data []byte) (Result, error) {
	return pdfText(context.Background(), data, Limits{}.withDefaults())
}

// pdfText extracts the text layer of a PDF, page by page (pages separated
// by a blank line), and the document title from its Info dictionary.
// Scanned pages without a text layer give no text. A file the parser
// cannot read is an ErrInvalid field error naming the reason.
//
// github.com/ledongthuc/pdf is used because it is pure Go (no cgo, no
// external tools), BSD-licensed (it descends from rsc.io/pdf) and small;
// the alternatives are either commercial (unipdf) or built for editing,
// not text extraction (pdfcpu). Its reader trusts the file, so this
// function does not use its page lookup (which walks the tree from the
// root for every page and follows /Parent and /Kids without a visited
// set) or its text extraction (which has no size bound): it walks the
// page tree once, with a visited set and a depth limit, passes inherited
// resources down, and interprets each content stream itself, counting
// pages, characters and decoded bytes. Every read of the file checks ctx,
// so a loop inside the library ends when the budget does. The library
// panics on malformed input; those panics become errors.
func pdfText(ctx context.Context, data []byte, lim Limits) (res Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			res, err = Result{}, pdfPanic(p)
		}
	}()
	if !bytes.HasPrefix(bytes.TrimLeft(data, "\x00\t\n\r "), []byte("%PDF-")) {
		return Result{}, rag.Invalid("file", "is not a readable PDF: no %%PDF- header")
	}
	r, err := pdf.NewReader(guardedReader{ctx, bytes.NewReader(data)}, int64(len(data)))
	if err != nil {
		var s stop
		if errors.As(err, &s) {
			return Result{}, s.err
		}
		return Result{}, rag.Invalid("file", "is not a readable PDF: %v", err)
	}
	if r.Trailer().Key("Encrypt").Kind() != pdf.Null {
		return Result{}, rag.Invalid("file", "is an encrypted PDF")
	}
	root := r.Trailer().Key("Root").Key("Pages")
	if n := root.Key("Count").Int64(); n > int64(lim.MaxPages) {
		return Result{}, tooManyPages(lim.MaxPages)
	}
	w := &walker{lim: lim, visited: map[uint64]bool{}}
	if err := w.walk(root, pdf.Value{}, 0); err != nil {
		return Result{}, err
	}
	if len(w.pages) == 0 {
		return Result{}, rag.Invalid("file", "is not a readable PDF: it has no pages")
	}
	x := &textReader{ctx: ctx, lim: lim, fonts: map[string]*pdf.Font{}}
	for i, p := range w.pages {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if err := x.page(i+1, p); err != nil {
			return Result{}, err
		}
	}
	text := tidyLines(strings.ToValidUTF8(strings.ReplaceAll(x.b.String(), "\x00", ""), "\uFFFD"))
	res, err = finish(Result{Text: text, Title: pdfTitle(r), ContentType: PDFType})
	if err != nil {
		return Result{}, rag.Invalid("file", "has no text layer (a scanned PDF needs OCR first)")
	}
	return res, nil
}

// stop carries an error out of the PDF library by panicking: a budget
// that ran out, or the context's end.
type stop struct{ err error }

func (s stop) Error() string { return s.err.Error() }
func (s stop) Unwrap() error { return s.err }

func pdfPanic(p any) error {
	if s, ok := p.(stop); ok {
		return s.err
	}
	if e, ok := p.(error); ok {
		var s stop
		if errors.As(e, &s) {
			return s.err
		}
	}
	return rag.Invalid("file", "is not a readable PDF: %v", p)
}

// guardedReader is the file as the library reads it: every read checks the
// context, and panics with stop when it has ended.
type guardedReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (g guardedReader) ReadAt(p []byte, off int64) (int, error) {
	if err := g.ctx.Err(); err != nil {
		panic(stop{err})
	}
	return g.r.ReadAt(p, off)
}

// page is a page dictionary with its inherited resources.
type page struct {
	v, resources pdf.Value
}

type walker struct {
	lim     Limits
	visited map[uint64]bool
	pages   []page
}

// walk visits a page-tree node: an intermediate /Pages node (whose kids it
// walks) or a /Page leaf.
func (w *walker) walk(node, resources pdf.Value, depth int) error {
	if depth > maxTreeDepth {
		return rag.Invalid("file", "is not a readable PDF: its page tree nests deeper than %d levels", maxTreeDepth)
	}
	if node.Kind() != pdf.Dict {
		return nil
	}
	if id, ok := objectID(node); ok {
		if w.visited[id] {
			return rag.Invalid("file", "is not a readable PDF: its page tree reaches object %d twice (a cycle)", id>>16)
		}
		w.visited[id] = true
	}
	if r := node.Key("Resources"); r.Kind() == pdf.Dict {
		resources = r
	}
	kids := node.Key("Kids")
	switch t := node.Key("Type").Name(); {
	case t == "Pages" || t == "" && kids.Kind() == pdf.Array:
		for i := 0; i < kids.Len(); i++ {
			if err := w.walk(kids.Index(i), resources, depth+1); err != nil {
				return err
			}
		}
	case t == "Page" || t == "":
		if len(w.pages) >= w.lim.MaxPages {
			return tooManyPages(w.lim.MaxPages)
		}
		w.pages = append(w.pages, page{node, resources})
	}
	return nil
}

// objectID is the object number and generation of an indirect object.
// The library keeps them unexported (Value.ptr); they are read by
// reflection, the only way to tell two references to one object apart
// from two equal objects. When the field is not there (a library change)
// the depth limit still ends a cycle.
func objectID(v pdf.Value) (uint64, bool) {
	ptr := reflect.ValueOf(v).FieldByName("ptr")
	if !ptr.IsValid() {
		return 0, false
	}
	id, gen := ptr.FieldByName("id"), ptr.FieldByName("gen")
	if !id.IsValid() || !gen.IsValid() || !id.CanUint() || !gen.CanUint() {
		return 0, false
	}
	return id.Uint()<<16 | gen.Uint()&0xffff, true
}

func tooManyPages(limit int) error {
	return &rag.FieldError{Field: "file", Kind: rag.ErrTooLarge,
		Message: fmt.Sprintf("has more than %d pages (the limit per PDF, --max-pdf-pages)", limit)}
}

// textReader interprets content streams and collects their text.
type textReader struct {
	ctx     context.Context
	lim     Limits
	fonts   map[string]*pdf.Font
	b       strings.Builder
	chars   int   // runes written
	decoded int64 // content-stream bytes decoded
	ops     int
}

// page appends the text of page n.
func (x *textReader) page(n int, p page) error {
	contents := p.v.Key("Contents")
	if contents.Kind() == pdf.Null {
		return nil
	}
	streams := []pdf.Value{contents}
	if contents.Kind() == pdf.Array {
		streams = streams[:0]
		for i := 0; i < contents.Len(); i++ {
			streams = append(streams, contents.Index(i))
		}
	}
	// Count the decoded size first, so that a compressed bomb is refused
	// before the interpreter holds any of it.
	for _, s := range streams {
		if err := x.measure(s); err != nil {
			return err
		}
	}
	fontDict := p.resources.Key("Font")
	for _, name := range fontDict.Keys() {
		if _, ok := x.fonts[name]; !ok {
			x.fonts[name] = &pdf.Font{V: fontDict.Key(name)}
		}
	}
	if x.b.Len() > 0 {
		x.write("\n\n")
	}
	var enc pdf.TextEncoding
	show := func(raw string) {
		if enc == nil {
			x.write(raw)
			return
		}
		var sb strings.Builder
		for _, ch := range enc.Decode(raw) {
			sb.WriteRune(ch)
		}
		x.write(sb.String())
	}
	var perr error
	func() {
		defer func() {
			if q := recover(); q != nil {
				if s, ok := q.(stop); ok {
					panic(s)
				}
				perr = rag.Invalid("file", "is not a readable PDF: page %d: %v", n, q)
			}
		}()
		pdf.Interpret(contents, func(stk *pdf.Stack, op string) {
			x.ops++
			if x.ops%1024 == 0 {
				if err := x.ctx.Err(); err != nil {
					panic(stop{err})
				}
			}
			args := make([]pdf.Value, stk.Len())
			for i := len(args) - 1; i >= 0; i-- {
				args[i] = stk.Pop()
			}
			switch op {
			case "BT": // a new text object: keep it apart
				x.write("\n")
			case "T*": // next line
				x.write("\n")
			case "Tf":
				if len(args) != 2 {
					panic("bad Tf operator")
				}
				enc = nil
				if f, ok := x.fonts[args[0].Name()]; ok {
					enc = f.Encoder()
				}
			case "\"", "'", "Tj":
				if len(args) == 0 {
					panic("bad " + op + " operator")
				}
				show(args[len(args)-1].RawString())
			case "TJ":
				if len(args) == 0 {
					panic("bad TJ operator")
				}
				v := args[0]
				for i := 0; i < v.Len(); i++ {
					if e := v.Index(i); e.Kind() == pdf.String {
						show(e.RawString())
					}
				}
			}
		})
	}()
	return perr
}

// write appends s to the text, refusing it past the character limit.
func (x *textReader) write(s string) {
	x.chars += utf8.RuneCountInString(s)
	if x.chars > x.lim.MaxChars {
		panic(stop{tooManyChars(x.lim.MaxChars)})
	}
	x.b.WriteString(s)
}

// measure decodes a content stream without keeping it, adding its size to
// the decoded total and refusing the file past the limit.
func (x *textReader) measure(s pdf.Value) error {
	if s.Kind() != pdf.Stream {
		return nil
	}
	rc := s.Reader()
	defer rc.Close()
	buf := make([]byte, 32<<10)
	for {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		n, err := rc.Read(buf)
		x.decoded += int64(n)
		if x.decoded > x.lim.MaxStreamBytes {
			return &rag.FieldError{Field: "file", Kind: rag.ErrTooLarge,
				Message: fmt.Sprintf("decompresses to more than %s of page content (the limit per PDF)", sizeString(x.lim.MaxStreamBytes))}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return rag.Invalid("file", "is not a readable PDF: a page's content cannot be decoded: %v", err)
		}
	}
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

// sizeString writes a byte count the way people read it.
func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
