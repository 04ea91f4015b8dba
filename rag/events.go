package rag

// EventType names the events of a run, as the API's event contract does.
type EventType string

const (
	EventStart   EventType = "start"
	EventStatus  EventType = "status"
	EventSources EventType = "sources"
	EventToken   EventType = "token"
	EventDone    EventType = "done"
	EventError   EventType = "error"
)

// Stage is what a run is doing, as reported by status events.
type Stage string

const (
	StageRetrieving Stage = "retrieving"
	StageGenerating Stage = "generating"
)

// Event is one entry of a run's log. Exactly one payload field is set, the
// one named by Type. Seq numbers a run's events from 1 without gaps, so a
// subscriber that saw Seq n resumes after n.
type Event struct {
	Seq     int       `json:"seq"`
	Type    EventType `json:"type"`
	Start   *Start    `json:"start,omitempty"`
	Status  *Status   `json:"status,omitempty"`
	Sources []Source  `json:"sources,omitempty"`
	Token   string    `json:"token,omitempty"`
	Done    *Done     `json:"done,omitempty"`
	Error   *RunError `json:"error,omitempty"`
}

// Final reports whether e ends its run (done or error).
func (e Event) Final() bool { return e.Type == EventDone || e.Type == EventError }

// Start is the first event of a run.
type Start struct {
	RunID          string `json:"run_id"`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"` // the assistant message being written
	// Lang is the answer's language ("ko" or "en"); not on the wire, but
	// in a shared run log, so another instance's mirror of the run speaks
	// it too.
	Lang string `json:"lang,omitempty"`
}

// Status tells the user what the run is doing, in the request's language.
type Status struct {
	Stage Stage  `json:"stage"`
	Text  string `json:"text"`
}

// Finish reasons of a done event.
const (
	FinishStop    = "stop"    // the answer is complete
	FinishLength  = "length"  // the model hit its output limit
	FinishStopped = "stopped" // the user stopped the run; the partial answer is kept
)

// Done is the last event of a successful (or stopped) run.
type Done struct {
	FinishReason string  `json:"finish_reason"`
	Cited        []int   `json:"cited"` // citation numbers the answer used, ascending
	Model        string  `json:"model"`
	Usage        Usage   `json:"usage"`
	Timings      Timings `json:"timings"`
	SearchQuery  string  `json:"search_query,omitempty"` // the query retrieval used when it differs from the question
}

// Error codes of a run's error event.
const (
	CodeUpstream    = "upstream_error"       // the LLM or embedder failed
	CodeUnavailable = "upstream_unavailable" // unreachable, overloaded or rate limited; retry later
	CodeInterrupted = "upstream_interrupted" // the LLM's stream broke off mid-answer; retry
	CodeTimeout     = "upstream_timeout"     // no answer in time
	CodeSearch      = "search_error"         // retrieval failed
	CodeCancelled   = "cancelled"            // nobody listened for the grace period
	CodeInternal    = "internal_error"
)

// RunError ends a failed run. Message is safe to show to users.
type RunError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}
