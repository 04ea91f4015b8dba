package extract

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"ragchat/internal/hostile"
)

func TestHTMLDropsNonContent(t *testing.T) {
	in := `<html><head><title>T</title><style>p{color:red}</style><script>alert("x")</script></head>
<body><noscript>enable js</noscript><template><p>tmpl</p></template>
<p hidden>secret</p><div style="display: none">gone</div>
<h2>Section <span>two</span></h2><p>Body   text
 across lines.</p><ul><li>one</li><li>two <b>bold</b></li></ul>
<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>
<pre>code  line 1
  indented</pre><script>more()</script></body></html>`
	got, err := HTML([]byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	want := "## Section two\n\nBody text across lines.\n\n- one\n- two bold\n\na | b\n1 | 2\n\ncode  line 1\n  indented"
	if got.Text != want {
		t.Errorf("text:\n%q\nwant:\n%q", got.Text, want)
	}
	if got.Title != "T" {
		t.Errorf("title %q", got.Title)
	}
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		"<p>hello</p>",
		"<h1>a</h1><script>x</script><p>b<br>c</p>",
		"<pre>\n a\n\n\n b</pre><li>x",
		"<title>t</title><svg><title>s</title></svg>",
		"<table><td>1<td>2<tr><td>3",
		"\xff\xfe<\x00p>",
		"<meta charset=iso-8859-1><p>caf\xe9</p>",
		strings.Repeat("<div>", 5000) + "deep" + strings.Repeat("</div>", 10),
		"<p>unclosed <!-- comment " + strings.Repeat("x", 1000),
		"<table>" + strings.Repeat("<tr><td><table>", 300) + "cell",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := HTML(data, "")
		if err != nil {
			if got != (Result{}) {
				t.Errorf("error %v with a result", err)
			}
			return
		}
		if got.Text == "" || got.Text != strings.TrimSpace(got.Text) {
			t.Errorf("text %q is empty or not trimmed", got.Text)
		}
		if !utf8.ValidString(got.Text) || !utf8.ValidString(got.Title) || strings.ContainsRune(got.Text, 0) {
			t.Errorf("text %q is not valid UTF-8 without NUL", got.Text)
		}
		if strings.Contains(got.Text, "\n\n\n") {
			t.Errorf("text %q has more than one blank line in a row", got.Text)
		}
	})
}

// FuzzPDF starts from the crafted files of issue 16 (small versions) and
// runs each input under a time budget: an input may be refused, but must
// neither panic nor outlive the budget.
func FuzzPDF(f *testing.F) {
	f.Add(writePDF("t", []string{"hello"}))
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF"))
	for _, seed := range [][]byte{
		hostile.SelfKidPDF(), hostile.ParentCyclePDF(), hostile.DeepTreePDF(70), hostile.SharedStreamPDF(3, 500),
		hostile.ManyPagesPDF(5), hostile.FlateBombPDF(64 << 10), hostile.PrevCyclePDF(),
	} {
		f.Add(seed)
	}
	x := New(Limits{MaxPages: 50, MaxChars: 20_000, MaxStreamBytes: 32 << 10, Timeout: 2 * time.Second})
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		got, err := x.File(context.Background(), "f.pdf", PDFType, data)
		if d := time.Since(start); d > 4*time.Second {
			t.Errorf("took %s, over twice the budget", d)
		}
		if err == nil && (got.Text == "" || !utf8.ValidString(got.Text)) {
			t.Errorf("text %q is empty or not UTF-8", got.Text)
		}
	})
}
