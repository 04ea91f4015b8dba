package extract

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"ragchat/rag"
)

// Limits bound the work of extracting one file. Zero fields take the
// defaults below.
type Limits struct {
	MaxPages       int           // PDF pages read; default 2000
	MaxChars       int           // extracted characters; default 2,000,000
	MaxStreamBytes int64         // decoded PDF content-stream bytes; default 256 MiB
	Timeout        time.Duration // time budget of one extraction; default 30s
	// Slots is how many extractions run at once (default GOMAXPROCS); more
	// wait for a slot within their time budget.
	Slots int
}

// Default limits.
const (
	DefaultMaxPages       = 2000
	DefaultMaxChars       = 2_000_000
	DefaultMaxStreamBytes = 256 << 20
	DefaultTimeout        = 30 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	if l.MaxChars <= 0 {
		l.MaxChars = DefaultMaxChars
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = DefaultMaxStreamBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.Slots <= 0 {
		l.Slots = runtime.GOMAXPROCS(0)
	}
	return l
}

// Extractor extracts files under Limits. Each extraction runs in its own
// goroutine holding one of a fixed number of slots; its context ends with
// the time budget or the caller, and the PDF reader checks it on every
// read of the file and every content-stream operator, so the work really
// stops (the slot is freed when it has). A panic in a parser becomes an
// ErrInvalid error.
type Extractor struct {
	lim   Limits
	slots chan struct{}
}

// New returns an Extractor with the given limits.
func New(l Limits) *Extractor {
	l = l.withDefaults()
	return &Extractor{lim: l, slots: make(chan struct{}, l.Slots)}
}

// Limits returns the limits in force (defaults filled in).
func (e *Extractor) Limits() Limits { return e.lim }

// File extracts the text of a file named name (only its extension is used)
// with the declared content type (may be empty). Over a limit it returns a
// rag.ErrTooLarge field error naming the limit; past the time budget an
// ErrInvalid field error naming it; when the caller's context ends, that
// context's error.
func (e *Extractor) File(ctx context.Context, name, declared string, data []byte) (Result, error) {
	t, err := TypeOf(name, declared, data)
	if err != nil {
		return Result{}, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, e.lim.Timeout)
	defer cancel()
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		if parent.Err() != nil {
			return Result{}, fmt.Errorf("extract: wait for a slot: %w", parent.Err())
		}
		return Result{}, fmt.Errorf("extract: all %d extraction slots stayed busy for %s: %w", e.lim.Slots, e.lim.Timeout, rag.ErrUnavailable)
	}
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() { <-e.slots }()
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{err: rag.Invalid("file", "could not be read: %v", p)}
			}
		}()
		r, err := e.extract(ctx, t, declared, data)
		done <- outcome{r, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		o.err = ctx.Err()
	}
	if errors.Is(o.err, context.DeadlineExceeded) || errors.Is(o.err, context.Canceled) {
		if parent.Err() != nil {
			return Result{}, fmt.Errorf("extract: %w", parent.Err())
		}
		return Result{}, e.timeout()
	}
	return o.res, o.err
}

func (e *Extractor) extract(ctx context.Context, t, declared string, data []byte) (Result, error) {
	var r Result
	var err error
	switch t {
	case HTMLType:
		r, err = HTML(data, declared)
	case PDFType:
		r, err = pdfText(ctx, data, e.lim)
	default:
		r, err = Plain(data)
		r.ContentType = t
	}
	if err != nil {
		return Result{}, err
	}
	if err := e.checkChars(r.Text); err != nil {
		return Result{}, err
	}
	return r, nil
}

func (e *Extractor) checkChars(text string) error {
	if n := len(text); n > e.lim.MaxChars && countRunes(text, e.lim.MaxChars) > e.lim.MaxChars {
		return tooManyChars(e.lim.MaxChars)
	}
	return nil
}

// countRunes counts the runes of s, stopping once past limit.
func countRunes(s string, limit int) int {
	n := 0
	for range s {
		n++
		if n > limit {
			break
		}
	}
	return n
}

func tooManyChars(limit int) error {
	return &rag.FieldError{Field: "file", Kind: rag.ErrTooLarge,
		Message: fmt.Sprintf("has more than %d characters of text (the limit per document, --max-document-chars)", limit)}
}

func (e *Extractor) timeout() error {
	return rag.Invalid("file", "took longer than the %s extraction budget to read (--extract-timeout); it is too complex or malformed", e.lim.Timeout)
}
