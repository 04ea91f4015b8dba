package api_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ragchat/api"
	"ragchat/extract"
	"ragchat/internal/hostile"
)

// TestHostileUploads posts each crafted file of issue 16: each gets a
// bounded, clear refusal naming its cap, and the server goes on
// answering (a normal upload after each one works).
func TestHostileUploads(t *testing.T) {
	x := extract.New(extract.Limits{MaxStreamBytes: 4 << 20, Timeout: time.Second, Slots: 2})
	base, _ := newDocServerWith(t, api.Config{}, api.Deps{Extract: x})
	for i, tc := range []struct {
		name   string
		file   string
		data   []byte
		status int
		want   string
	}{
		{"self-kid page tree", "loop.pdf", hostile.SelfKidPDF(), 422, "page tree reaches object 2 twice (a cycle)"},
		{"shared stream", "shared.pdf", hostile.SharedStreamPDF(1000, 100_000), 413, "more than 2000000 characters of text (the limit per document, --max-document-chars)"},
		{"10,000 pages", "pages.pdf", hostile.ManyPagesPDF(10_000), 413, "more than 2000 pages (the limit per PDF, --max-pdf-pages)"},
		{"flate bomb", "bomb.pdf", hostile.FlateBombPDF(8 << 20), 413, "decompresses to more than 4 MiB of page content"},
		{"xref cycle", "prev.pdf", hostile.PrevCyclePDF(), 422, "took longer than the 1s extraction budget"},
		{"19 MiB of text", "big.txt", hostile.Text(19 << 20), 413, "more than 2000000 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := upload(t, base, part{name: "file", filename: tc.file, data: tc.data})
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			p := decodeProblem(t, resp)
			if len(p.Errors) != 1 || p.Errors[0].Location != "body.file" || !strings.Contains(p.Errors[0].Message, tc.want) {
				t.Fatalf("problem %+v, want body.file saying %q", p, tc.want)
			}
			ok := upload(t, base, part{name: "file", filename: "ok.md", data: []byte(fmt.Sprintf("# Fine %d\n\nStill answering.", i))})
			if ok.StatusCode != http.StatusCreated {
				t.Fatalf("the next upload: status %d", ok.StatusCode)
			}
		})
	}
}

// slowUpload starts a multipart upload that sends its headers and then
// nothing more; it returns the connection.
func slowUpload(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /api/v1/documents/upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 100000\r\n\r\n--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nsome")
	return c
}

// TestSlowUploadTimesOut: a body that stops arriving ends in 408 within
// the upload read timeout, and while it holds the only upload slot,
// another upload gets 503 with Retry-After.
func TestSlowUploadTimesOut(t *testing.T) {
	base, _ := newDocServer(t, api.Config{UploadReadTimeout: 500 * time.Millisecond, MaxConcurrentUploads: 1})
	c := slowUpload(t, base)
	time.Sleep(100 * time.Millisecond) // let the server take the slot
	busy := upload(t, base, part{name: "file", filename: "b.md", data: []byte("# B\n\ntext")})
	if busy.StatusCode != http.StatusServiceUnavailable || busy.Header.Get("Retry-After") == "" {
		t.Fatalf("second upload: status %d, Retry-After %q", busy.StatusCode, busy.Header.Get("Retry-After"))
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response to the slow upload: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("slow upload: status %d, want 408", resp.StatusCode)
	}
	if p := decodeProblem(t, resp); !strings.Contains(p.Detail, "not received within 500ms") {
		t.Fatalf("detail %q", p.Detail)
	}
	ok := upload(t, base, part{name: "file", filename: "c.md", data: []byte("# C\n\ntext")})
	if ok.StatusCode != http.StatusCreated {
		t.Fatalf("after the timeout: status %d", ok.StatusCode)
	}
}

// TestProblemValuesCut: a problem never echoes a long input whole.
func TestProblemValuesCut(t *testing.T) {
	base, _ := newDocServer(t, api.Config{})
	long := strings.Repeat("x", 100_000)
	resp, err := http.Post(base+"/api/v1/search", "application/json", strings.NewReader(`{"query":"q","mode":"`+long+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := decodeProblem(t, resp)
	if resp.StatusCode != 422 || len(p.Errors) == 0 {
		t.Fatalf("status %d, %+v", resp.StatusCode, p)
	}
	for _, e := range p.Errors {
		if s := fmt.Sprint(e.Value); utf8.RuneCountInString(s) > 201 || !strings.HasSuffix(s, "…") {
			t.Errorf("value of %d characters: %.60q...", utf8.RuneCountInString(s), s)
		}
	}
	if utf8.RuneCountInString(p.Detail) > 801 {
		t.Errorf("detail of %d characters", utf8.RuneCountInString(p.Detail))
	}
}

func TestSearchQueryLimit(t *testing.T) {
	base, _ := newDocServer(t, api.Config{MaxMessageChars: 50})
	resp, err := http.Post(base+"/api/v1/search", "application/json", strings.NewReader(`{"query":"`+strings.Repeat("검", 51)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := decodeProblem(t, resp)
	if resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "body.query" || !strings.Contains(p.Errors[0].Message, "longer than 50 characters") {
		t.Fatalf("status %d, %+v", resp.StatusCode, p)
	}
}

func TestDocumentURLScheme(t *testing.T) {
	base, _ := newDocServer(t, api.Config{})
	resp, err := http.Post(base+"/api/v1/documents", "application/json", strings.NewReader(`{"title":"t","text":"hello","url":"javascript:alert(1)"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := decodeProblem(t, resp)
	if resp.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Location != "body.url" {
		t.Fatalf("status %d, %+v", resp.StatusCode, p)
	}
}
