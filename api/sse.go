package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	v1 "ragchat/api/v1"
	"ragchat/rag"
)

// Event ids on the wire are "<run_id>:<seq>". Carrying the run id lets a
// browser's automatic reconnect to GET /chat/stream (which repeats the same
// URL, question included) resume the run instead of asking again.

// eventID returns the SSE id of a run's event.
func eventID(runID string, seq int) string {
	return runID + ":" + strconv.Itoa(seq)
}

// lastEventID is a parsed Last-Event-ID header.
type lastEventID struct {
	RunID string
	Seq   int
}

var errBadLastEventID = errors.New(`must look like "<run_id>:<seq>"`)

// parseLastEventID parses "<run_id>:<seq>". The empty string means no resume.
func parseLastEventID(s string) (lastEventID, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return lastEventID{}, false, nil
	}
	run, seq, ok := strings.Cut(s, ":")
	if !ok || !validRunID(run) {
		return lastEventID{}, false, errBadLastEventID
	}
	n, err := strconv.Atoi(seq)
	if err != nil || n < 0 || strconv.Itoa(n) != seq {
		return lastEventID{}, false, errBadLastEventID
	}
	return lastEventID{RunID: run, Seq: n}, true, nil
}

// validRunID reports whether s can be a run id (rag.NewID: lowercase hex).
func validRunID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// sseWriter writes server-sent events and flushes each one. It writes no
// "event:" lines, so EventSource.onmessage sees every event, and heartbeats
// are comments, which onmessage never sees.
type sseWriter struct {
	w   io.Writer
	rc  *http.ResponseController
	buf bytes.Buffer
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

// event writes one event with its id and JSON data.
func (s *sseWriter) event(id string, data any) error {
	s.buf.Reset()
	s.buf.WriteString("id: ")
	s.buf.WriteString(id)
	s.buf.WriteString("\ndata: ")
	// json.Encoder writes one line (newlines in strings are escaped) and
	// ends it with '\n'.
	if err := json.NewEncoder(&s.buf).Encode(data); err != nil {
		return fmt.Errorf("sse: encode: %w", err)
	}
	s.buf.WriteByte('\n')
	return s.flush()
}

// comment writes a comment line, used as a heartbeat.
func (s *sseWriter) comment(text string) error {
	s.buf.Reset()
	s.buf.WriteString(": ")
	s.buf.WriteString(text)
	s.buf.WriteString("\n\n")
	return s.flush()
}

// retry tells EventSource how long to wait before reconnecting.
func (s *sseWriter) retry(ms int) error {
	s.buf.Reset()
	fmt.Fprintf(&s.buf, "retry: %d\n\n", ms)
	return s.flush()
}

func (s *sseWriter) flush() error {
	if _, err := s.w.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	if err := s.rc.Flush(); err != nil {
		return fmt.Errorf("sse: flush: %w", err)
	}
	return nil
}

// wireEvent converts a run event into its v1 wire form.
func wireEvent(e rag.Event) any {
	switch e.Type {
	case rag.EventStart:
		return v1.StartEvent{Type: v1.TypeStart, Content: v1.Start{RunID: e.Start.RunID, ConversationID: e.Start.ConversationID, MessageID: e.Start.MessageID}}
	case rag.EventStatus:
		return v1.StatusEvent{Type: v1.TypeStatus, Content: v1.Status{Stage: string(e.Status.Stage), Text: e.Status.Text}}
	case rag.EventSources:
		return v1.SourcesEvent{Type: v1.TypeSources, Content: wireSources(e.Sources)}
	case rag.EventToken:
		return v1.TokenEvent{Type: v1.TypeToken, Content: e.Token}
	case rag.EventDone:
		return v1.DoneEvent{Type: v1.TypeDone, Content: wireDone(e.Done)}
	case rag.EventError:
		return v1.ErrorEvent{Type: v1.TypeError, Content: v1.Error{Code: e.Error.Code, Message: e.Error.Message, Retryable: e.Error.Retryable}}
	}
	return v1.Event{Type: string(e.Type)}
}

func wireSources(ss []rag.Source) []v1.Source {
	out := make([]v1.Source, len(ss))
	for i, s := range ss {
		out[i] = v1.Source{N: s.N, DocumentID: s.DocumentID, ChunkID: s.ChunkID, Title: s.Title, URL: s.URL, Snippet: s.Snippet, Score: s.Score}
	}
	return out
}

func wireDone(d *rag.Done) v1.Done {
	cited := d.Cited
	if cited == nil {
		cited = []int{}
	}
	return v1.Done{
		FinishReason: d.FinishReason,
		Cited:        cited,
		Model:        d.Model,
		Usage:        wireUsage(d.Usage),
		Timings:      wireTimings(d.Timings),
		SearchQuery:  d.SearchQuery,
	}
}

func wireUsage(u rag.Usage) v1.Usage {
	return v1.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
}

func wireTimings(t rag.Timings) v1.Timings {
	return v1.Timings{FirstEventMS: t.FirstEventMS, RetrievalMS: t.RetrievalMS, FirstTokenMS: t.FirstTokenMS, TotalMS: t.TotalMS}
}
