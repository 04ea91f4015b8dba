package extract

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ragchat/internal/hostile"
	"ragchat/rag"
)

// TestHostilePDFs feeds the crafted files of issue 16 to an Extractor:
// each gets a clear refusal (or its text) well within the time budget.
func TestHostilePDFs(t *testing.T) {
	small := Limits{MaxStreamBytes: 4 << 20, Timeout: 2 * time.Second}
	for _, tc := range []struct {
		name string
		data []byte
		lim  Limits
		kind error  // nil: success
		want string // in the message, or in the text on success
	}{
		{"self-kid page tree", hostile.SelfKidPDF(), small, rag.ErrInvalid, "page tree reaches object 2 twice (a cycle)"},
		{"parent cycle", hostile.ParentCyclePDF(), small, nil, "hello"},
		{"deep tree", hostile.DeepTreePDF(100), small, rag.ErrInvalid, "nests deeper than 64 levels"},
		{"nested tree", hostile.DeepTreePDF(20), small, nil, "deep"},
		{"shared stream", hostile.SharedStreamPDF(1000, 100_000), small, rag.ErrTooLarge, "more than 2000000 characters of text (the limit per document, --max-document-chars)"},
		{"10,000 pages", hostile.ManyPagesPDF(10_000), small, rag.ErrTooLarge, "more than 2000 pages (the limit per PDF, --max-pdf-pages)"},
		{"pages over a lower cap", hostile.ManyPagesPDF(30), Limits{MaxPages: 20}, rag.ErrTooLarge, "more than 20 pages"},
		{"2000 pages", hostile.ManyPagesPDF(2000), small, nil, "Page 2000."},
		{"flate bomb", hostile.FlateBombPDF(8 << 20), small, rag.ErrTooLarge, "decompresses to more than 4 MiB of page content"},
		{"xref prev cycle", hostile.PrevCyclePDF(), Limits{Timeout: 300 * time.Millisecond}, rag.ErrInvalid, "took longer than the 300ms extraction budget to read (--extract-timeout)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := New(tc.lim)
			got, err := fileWithin(t, x, "f.pdf", tc.data)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !strings.Contains(got.Text, tc.want) {
					t.Fatalf("text %.200q lacks %q", got.Text, tc.want)
				}
				return
			}
			var fe *rag.FieldError
			if !errors.As(err, &fe) || !errors.Is(err, tc.kind) || fe.Field != "file" {
				t.Fatalf("error %v (%T), want a %v field error for file", err, err, tc.kind)
			}
			if !strings.Contains(fe.Message, tc.want) {
				t.Fatalf("message %q lacks %q", fe.Message, tc.want)
			}
		})
	}
}

// fileWithin extracts and fails the test when the extraction does not
// return within ten times its budget (a hang, not a speed check).
func fileWithin(t *testing.T, x *Extractor, name string, data []byte) (Result, error) {
	t.Helper()
	type outcome struct {
		r   Result
		err error
	}
	c := make(chan outcome, 1)
	go func() {
		r, err := x.File(context.Background(), name, "", data)
		c <- outcome{r, err}
	}()
	select {
	case o := <-c:
		return o.r, o.err
	case <-time.After(10 * x.Limits().Timeout):
		t.Fatalf("no answer within %s", 10*x.Limits().Timeout)
		return Result{}, nil
	}
}

// TestTimeoutFreesSlot shows that the work past the budget really stops:
// with one slot, a second extraction after a timed-out one gets the slot.
func TestTimeoutFreesSlot(t *testing.T) {
	x := New(Limits{Timeout: 200 * time.Millisecond, Slots: 1})
	if _, err := fileWithin(t, x, "loop.pdf", hostile.PrevCyclePDF()); !errors.Is(err, rag.ErrInvalid) {
		t.Fatalf("looping file: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(x.slots) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the timed-out extraction still holds its slot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := fileWithin(t, x, "ok.pdf", hostile.ManyPagesPDF(2))
	if err != nil || !strings.Contains(got.Text, "Page 2.") {
		t.Fatalf("after the timeout: %q, %v", got.Text, err)
	}
}

// TestCancelStopsExtraction: the caller's end is reported as such.
func TestCancelStopsExtraction(t *testing.T) {
	x := New(Limits{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := x.File(ctx, "loop.pdf", "", hostile.PrevCyclePDF())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestTextCharCap(t *testing.T) {
	x := New(Limits{MaxChars: 1000})
	if _, err := x.File(context.Background(), "a.txt", "", hostile.Text(1000)); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	_, err := x.File(context.Background(), "a.txt", "", hostile.Text(1001))
	if !errors.Is(err, rag.ErrTooLarge) || !strings.Contains(err.Error(), "more than 1000 characters") {
		t.Fatalf("over the cap: %v", err)
	}
}
