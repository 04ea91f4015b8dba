package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

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

// The SSE wire format as ragchat writes it: no "event:" lines, so
// EventSource.onmessage sees every event, and heartbeats are comments,
// which onmessage never sees.

// heartbeatComment keeps idle connections open through proxies.
var heartbeatComment = []byte(": ping\n\n")

// retryField tells EventSource how long to wait before reconnecting.
func retryField(ms int) []byte {
	return []byte("retry: " + strconv.Itoa(ms) + "\n\n")
}

// eventBuffers lends the buffer an event is assembled in, so that an idle
// stream holds no buffer of its own.
var eventBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// appendEvent appends one event with its JSON data and id. json.Marshal
// escapes newlines inside strings, so the data is always one line. The id
// comes last: some clients (@microsoft/fetch-event-source) take an id as
// the one to resume after as soon as they read its line, not when the event
// is complete, so an id before a long data line would make a cut inside
// that line lose the event.
func appendEvent(dst []byte, id string, data any) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return dst, fmt.Errorf("sse: encode: %w", err)
	}
	dst = append(dst, "data: "...)
	dst = append(dst, b...)
	dst = append(dst, "\nid: "...)
	dst = append(dst, id...)
	return append(dst, "\n\n"...), nil
}

// writeEvents writes a run's events to sink, in one write unless they
// exceed maxWriteBytes (a resume of a long answer), so that the buffer
// lent from eventBuffers stays small.
func writeEvents(sink eventSink, runID string, events []rag.Event) error {
	bp := eventBuffers.Get().(*[]byte)
	defer eventBuffers.Put(bp)
	b := (*bp)[:0]
	defer func() { *bp = b[:0] }()
	for i, e := range events {
		var err error
		if b, err = appendEvent(b, eventID(runID, e.Seq), wireEvent(e)); err != nil {
			return err
		}
		if len(b) >= maxWriteBytes || i == len(events)-1 {
			if err := sink.write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	return nil
}

// maxWriteBytes bounds one write of queued events.
const maxWriteBytes = 32 << 10

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
