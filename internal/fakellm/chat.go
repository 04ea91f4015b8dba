package fakellm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// created is a fixed timestamp so responses are deterministic.
const created = 1700000000

type delta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// chunkChoice keeps content "" on the role chunk the way OpenAI sends it.
type chunkChoice struct {
	Index        int             `json:"index"`
	Delta        json.RawMessage `json:"delta"`
	FinishReason *string         `json:"finish_reason"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chunk struct {
	ID      string        `json:"id"`
	Object  string        `json:"object"`
	Created int64         `json:"created"`
	Model   string        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *usage        `json:"usage,omitempty"`
}

type completionChoice struct {
	Index        int     `json:"index"`
	Message      Message `json:"message"`
	FinishReason string  `json:"finish_reason"`
}

type completion struct {
	ID      string             `json:"id"`
	Object  string             `json:"object"`
	Created int64              `json:"created"`
	Model   string             `json:"model"`
	Choices []completionChoice `json:"choices"`
	Usage   usage              `json:"usage"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), "invalid_request_error")
		return
	}
	req.Header = r.Header.Clone()
	sc := s.next(req)
	gone := false
	defer func() { s.finish(gone) }()

	ctx := r.Context()
	// wait sleeps d unless the client goes away or the server closes; it
	// reports whether the handler may go on.
	wait := func(d time.Duration) bool {
		if ctx.Err() != nil {
			gone = true
			return false
		}
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			gone = true
			return false
		case <-s.closing:
			panic(http.ErrAbortHandler)
		}
	}
	hang := func() {
		select {
		case <-ctx.Done():
			gone = true
		case <-s.closing:
			// Cut the connection so the client sees a failure, not a
			// short success.
			panic(http.ErrAbortHandler)
		}
	}

	if !wait(sc.HeaderDelay) {
		return
	}
	if sc.CutBeforeHeaders {
		panic(http.ErrAbortHandler)
	}
	if sc.FailStatus != 0 && sc.FailHTML {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(sc.FailStatus)
		fmt.Fprintf(w, "<html><head><title>%d</title></head><body><h1>%d %s</h1><hr>nginx</body></html>\n",
			sc.FailStatus, sc.FailStatus, http.StatusText(sc.FailStatus))
		return
	}
	if sc.FailStatus != 0 {
		msg := sc.FailMessage
		if msg == "" {
			msg = fmt.Sprintf("fake upstream error %d", sc.FailStatus)
		}
		writeError(w, sc.FailStatus, msg, errorType(sc.FailStatus))
		return
	}
	tokens := sc.Tokens
	if tokens == nil {
		tokens = DefaultTokens(req.Messages)
	}
	finish := sc.FinishReason
	if finish == "" {
		finish = "stop"
	}
	model := req.Model
	if model == "" {
		model = s.model
	}
	id := fmt.Sprintf("chatcmpl-fake-%d", s.seq.Add(1))
	u := usage{PromptTokens: promptTokens(req.Messages), CompletionTokens: len(tokens)}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens

	if !req.Stream {
		if !wait(sc.FirstTokenDelay) {
			return
		}
		switch sc.Break {
		case BreakHang:
			hang()
			return
		case BreakError, BreakTruncate, BreakBadJSON:
			writeError(w, http.StatusInternalServerError, failMessage(sc), "server_error")
			return
		case BreakCut, BreakCutMidChunk:
			panic(http.ErrAbortHandler)
		}
		writeJSON(w, http.StatusOK, completion{
			ID: id, Object: "chat.completion", Created: created, Model: model,
			Choices: []completionChoice{{Message: Message{Role: "assistant", Content: strings.Join(tokens, "")}, FinishReason: finish}},
			Usage:   u,
		})
		return
	}

	if sc.Break == BreakNone && s.cutThis() {
		sc.Break, sc.BreakAfter = BreakCut, len(tokens)/2
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	// send writes one event and flushes it; false means the client is gone.
	send := func(data string) bool {
		if ctx.Err() != nil {
			gone = true
			return false
		}
		if _, err := io.WriteString(w, "data: "+data+"\n\n"); err != nil {
			gone = true
			return false
		}
		if err := rc.Flush(); err != nil {
			gone = true
			return false
		}
		return true
	}
	event := func(d json.RawMessage, fr *string) bool {
		b, _ := json.Marshal(chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: model,
			Choices: []chunkChoice{{Delta: d, FinishReason: fr}}})
		return send(string(b))
	}
	breakNow := func() {
		switch sc.Break {
		case BreakError:
			b, _ := json.Marshal(map[string]any{"error": map[string]any{
				"message": failMessage(sc), "type": "server_error", "param": nil, "code": nil}})
			send(string(b))
		case BreakTruncate:
			// Returning ends the body cleanly: no finish_reason, no [DONE].
		case BreakHang:
			hang()
		case BreakCut:
			panic(http.ErrAbortHandler)
		case BreakCutMidChunk:
			io.WriteString(w, `data: {"id":"`+id+`","object":"chat.compl`)
			rc.Flush()
			panic(http.ErrAbortHandler)
		case BreakBadJSON:
			send("this is not JSON")
		}
	}

	if !event(json.RawMessage(`{"role":"assistant","content":""}`), nil) {
		return
	}
	for i, tok := range tokens {
		if sc.Break != BreakNone && i == sc.BreakAfter {
			breakNow()
			return
		}
		d := sc.TokenDelay
		if i == 0 {
			d = sc.FirstTokenDelay
		}
		if !wait(d) {
			return
		}
		b, _ := json.Marshal(delta{Content: tok})
		if !event(b, nil) {
			return
		}
	}
	if sc.Break != BreakNone {
		breakNow()
		return
	}
	if !event(json.RawMessage(`{}`), &finish) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		b, _ := json.Marshal(chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: model,
			Choices: []chunkChoice{}, Usage: &u})
		if !send(string(b)) {
			return
		}
	}
	if sc.End != BreakNone {
		sc.Break = sc.End
		breakNow()
		return
	}
	send("[DONE]")
}

func failMessage(sc Script) string {
	if sc.FailMessage != "" {
		return sc.FailMessage
	}
	return "fake upstream failure"
}

// promptTokens counts words, a stand-in for a tokenizer.
func promptTokens(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		n += len(strings.Fields(m.Content))
	}
	return n
}

func errorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_request_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// writeError answers the way the OpenAI API does:
// {"error":{"message":...,"type":...,"param":null,"code":null}}.
func writeError(w http.ResponseWriter, status int, msg, typ string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": nil}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
