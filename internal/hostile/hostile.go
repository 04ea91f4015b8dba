// Package hostile builds the crafted files of issue 16 in memory, for
// tests and fuzz seeds: PDFs that loop, explode or crawl in a naive
// reader, and bodies that are large or slow. Generators, not committed
// files: the large ones are made at the size a test asks for.
package hostile

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
)

// PDF assembles a PDF from object bodies (object n is objs[n-1]) with a
// classic cross-reference table; trailer is the trailer dictionary's
// contents without the /Size entry.
func PDF(trailer string, objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, trailer, xref)
	return b.Bytes()
}

// Stream is a stream object's text: the dictionary entries (without
// /Length) and the data.
func Stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// Flate compresses data with zlib, as /FlateDecode expects.
func Flate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"

// Content is a content stream showing each line as text.
func Content(lines ...string) []byte {
	esc := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	var b strings.Builder
	b.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "(%s) Tj T*\n", esc.Replace(l))
	}
	b.WriteString("ET")
	return []byte(b.String())
}

// SelfKidPDF is the 244-byte file whose /Pages node lists itself as a kid:
// a reader without a visited set walks it forever.
func SelfKidPDF() []byte {
	return PDF("/Root 1 0 R",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [2 0 R] /Count 1 >>")
}

// ParentCyclePDF has a page whose /Parent chain loops (page → node →
// page), the trap of readers that look inherited resources up the chain.
func ParentCyclePDF() []byte {
	return PDF("/Root 1 0 R",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 3 0 R >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		Stream("", Content("hello")))
}

// DeepTreePDF nests the page tree depth levels deep above one page.
func DeepTreePDF(depth int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>"}
	for i := 0; i < depth; i++ {
		objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", len(objs)+2))
	}
	objs = append(objs,
		fmt.Sprintf("<< /Type /Page /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>", len(objs)+3, len(objs)+2),
		Stream("", Content("deep")), font)
	return PDF("/Root 1 0 R", objs...)
}

// SharedStreamPDF has pages pages that all show one Flate stream holding
// textBytes of text: a small file that becomes pages×textBytes of text
// (the 133 KB file is SharedStreamPDF(1000, 100_000)).
func SharedStreamPDF(pages, textBytes int) []byte {
	line := "All work and no play makes a dull document. "
	var lines []string
	for n := 0; n < textBytes; n += len(line) {
		lines = append(lines, line)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"", // the page tree, below
		font,
		Stream("/Filter /FlateDecode", Flate(Content(lines...))),
	}
	kids := make([]string, pages)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", len(objs)+1)
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>")
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages)
	return PDF("/Root 1 0 R", objs...)
}

// ManyPagesPDF has n one-line pages in a flat tree (the 1.3 MB
// file had as many): a reader that looks each page up from
// the root takes quadratic time (the issue measured such a 10,000-page
// file at 159 s).
func ManyPagesPDF(n int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", font}
	kids := make([]string, n)
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", len(objs)+1)
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", len(objs)+2),
			Stream("", Content(fmt.Sprintf("Page %d.", i+1))))
	}
	objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
	return PDF("/Root 1 0 R", objs...)
}

// FlateBombPDF has one page whose Flate content stream inflates to
// decoded bytes of blanks (a few KiB per MiB on disk).
func FlateBombPDF(decoded int) []byte {
	var z bytes.Buffer
	w, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for n := 0; n < decoded; n += len(chunk) {
		w.Write(chunk[:min(len(chunk), decoded-n)])
	}
	w.Close()
	return PDF("/Root 1 0 R",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		Stream("/Filter /FlateDecode", z.Bytes()))
}

// PrevCyclePDF's cross-reference section names itself as its /Prev: a
// reader that follows the chain without a visited set never returns.
func PrevCyclePDF() []byte {
	b := PDF("/Root 1 0 R /Prev XREF",
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [] /Count 0 >>")
	i := bytes.LastIndex(b, []byte("startxref\n"))
	var xref int
	fmt.Sscanf(string(b[i+len("startxref\n"):]), "%d", &xref)
	return bytes.Replace(b, []byte("/Prev XREF"), []byte(fmt.Sprintf("/Prev %d", xref)), 1)
}

// Text is n bytes of plain text in short lines.
func Text(n int) []byte {
	line := []byte("The quick brown fox jumps over the lazy dog, again and again.\n")
	b := bytes.Repeat(line, n/len(line)+1)
	return b[:n]
}
