package app

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	v1 "ragchat/api/v1"
)

// Roles and statuses of a turn, as in v1.Message.
const (
	roleUser      = "user"
	roleAssistant = "assistant"

	statusStreaming = "streaming"
	statusComplete  = "complete"
	statusStopped   = "stopped"
	statusError     = "error"
)

// turn is one message of the conversation as the UI shows it. It is plain
// data: the chat page owns the slice and hands each turn to a message
// component through exported fields.
type turn struct {
	Role      string
	Text      string
	Sources   []v1.Source
	Status    string
	Err       string // shown with a Retry button when Status is error
	Retryable bool
	Question  string // assistant turns: the question, for Retry
	RunID     string
	MessageID string
	Model     string
	TotalMS   float64
	Stage     string // retrieving or generating while streaming
	Note      string // status text of the run while streaming
}

// runState follows one run's event ids so that an event the UI already
// applied is never applied twice. After a dropped connection the browser
// reconnects with Last-Event-ID and the server resumes after it; any replay
// that still overlaps (a proxy, a server that resends the last event) is
// dropped here by sequence number.
type runState struct {
	runID   string
	seen    bool
	lastSeq uint64
}

// fresh reports whether the event with this SSE id is new, and records it.
// Ids look like "<run_id>:<seq>". An event without a usable id cannot be
// deduplicated and is accepted. An id from another run means the server
// started over: the state follows the new run.
func (s *runState) fresh(id string) bool {
	run, seq, ok := parseEventID(id)
	if !ok {
		return true
	}
	if s.runID != "" && run != s.runID {
		s.runID, s.seen, s.lastSeq = run, true, seq
		return true
	}
	if s.seen && seq <= s.lastSeq {
		return false
	}
	s.runID, s.seen, s.lastSeq = run, true, seq
	return true
}

// parseEventID splits "<run_id>:<seq>". The run id may itself contain
// colons; the sequence is the part after the last one.
func parseEventID(id string) (run string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, ':')
	if i <= 0 || i == len(id)-1 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return id[:i], seq, true
}

// applyEvent applies one decoded stream event to t and reports whether it
// ended the run (done or error). A start event carries the conversation id,
// returned in conv. Unknown event types are ignored so that the server can
// add types without breaking older apps.
func applyEvent(t *turn, ev v1.Event) (end bool, conv string, err error) {
	switch ev.Type {
	case v1.TypeStart:
		var s v1.Start
		if err := json.Unmarshal(ev.Content, &s); err != nil {
			return false, "", fmt.Errorf("start event: %w", err)
		}
		if t.RunID != "" && s.RunID != t.RunID {
			// Another run answers now (the server did not resume the old
			// one): its text replaces what the old one wrote.
			t.Text, t.Sources = "", nil
		}
		t.RunID, t.MessageID = s.RunID, s.MessageID
		return false, s.ConversationID, nil
	case v1.TypeStatus:
		var s v1.Status
		if err := json.Unmarshal(ev.Content, &s); err != nil {
			return false, "", fmt.Errorf("status event: %w", err)
		}
		t.Stage, t.Note = s.Stage, s.Text
	case v1.TypeSources:
		var s []v1.Source
		if err := json.Unmarshal(ev.Content, &s); err != nil {
			return false, "", fmt.Errorf("sources event: %w", err)
		}
		t.Sources = s
	case v1.TypeToken:
		var s string
		if err := json.Unmarshal(ev.Content, &s); err != nil {
			return false, "", fmt.Errorf("token event: %w", err)
		}
		t.Text += s
	case v1.TypeDone:
		var d v1.Done
		if err := json.Unmarshal(ev.Content, &d); err != nil {
			return false, "", fmt.Errorf("done event: %w", err)
		}
		t.Status = statusComplete
		if d.FinishReason == statusStopped {
			t.Status = statusStopped
		}
		t.Model, t.TotalMS, t.Stage, t.Note = d.Model, d.Timings.TotalMS, "", ""
		return true, "", nil
	case v1.TypeError:
		var e v1.Error
		if err := json.Unmarshal(ev.Content, &e); err != nil {
			return false, "", fmt.Errorf("error event: %w", err)
		}
		t.Status, t.Err, t.Retryable, t.Stage, t.Note = statusError, e.Message, e.Retryable, "", ""
		if t.Err == "" {
			t.Err = e.Code
		}
		return true, "", nil
	}
	return false, "", nil
}

// applyResponse fills t from the REST fallback's whole answer.
func applyResponse(t *turn, r v1.ChatResponse) {
	t.Text, t.Sources = r.Response, r.Sources
	t.RunID, t.MessageID, t.Model, t.TotalMS = r.RunID, r.MessageID, r.Model, r.Timings.TotalMS
	t.Status, t.Stage, t.Note = statusComplete, "", ""
	if r.FinishReason == statusStopped {
		t.Status = statusStopped
	}
}

// turnsFromDetail converts a stored conversation into turns.
func turnsFromDetail(d v1.ConversationDetail) []turn {
	turns := make([]turn, 0, len(d.Messages))
	question := ""
	for _, m := range d.Messages {
		t := turn{
			Role:      m.Role,
			Text:      m.Content,
			Sources:   m.Sources,
			Status:    m.Status,
			RunID:     m.RunID,
			MessageID: m.ID,
		}
		if t.Status == "" {
			t.Status = statusComplete
		}
		if m.Timings != nil {
			t.TotalMS = m.Timings.TotalMS
		}
		if m.Role == roleUser {
			question = m.Content
		} else {
			t.Question = question
			if t.Status == statusError {
				t.Retryable = true
			}
		}
		turns = append(turns, t)
	}
	return turns
}
