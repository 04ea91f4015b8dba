package api

import (
	"encoding/json"
	"sync"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
)

// Lengths past which problem texts are cut: a validation error may carry
// the whole offending input (a 20 MiB body), which must not be echoed.
const (
	maxProblemValue  = 200 // characters of errors[].value
	maxProblemDetail = 800 // characters of detail and errors[].message
)

var limitOnce sync.Once

// limitProblems makes every problem Huma writes (the API's own and its
// validation errors) cut long details and echoed values. huma.NewError is
// Huma's hook for that; it is process-wide, so it is wrapped once.
func limitProblems() {
	limitOnce.Do(func() {
		next := huma.NewError
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			for i, e := range errs {
				if d, ok := e.(*huma.ErrorDetail); ok {
					c := *d
					c.Message = cut(c.Message, maxProblemDetail)
					c.Value = cutValue(c.Value)
					errs[i] = &c
				}
			}
			return next(status, cut(msg, maxProblemDetail), errs...)
		}
	})
}

// cutValue keeps short values as they are and turns a long one into its
// cut JSON text.
func cutValue(v any) any {
	switch x := v.(type) {
	case nil, bool, int, int64, float64:
		return v
	case string:
		return cut(x, maxProblemValue)
	}
	b, err := json.Marshal(v)
	if err != nil || utf8.RuneCount(b) > maxProblemValue {
		return cut(string(b), maxProblemValue)
	}
	return v
}

// cut shortens s to n characters, marking the cut with "…".
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
