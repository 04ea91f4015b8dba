package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	v1 "ragchat/api/v1"
	"ragchat/rag"
)

// StreamQuery is the input of GET /api/v1/chat/stream.
type StreamQuery struct {
	Message        string `query:"message" required:"true" doc:"The question (at most 4000 characters by default)." example:"What is SSE?"`
	ConversationID string `query:"conversation_id" doc:"Continue this conversation; omit to start a new one."`
	Lang           string `query:"lang" enum:"ko,en" doc:"Language of status texts; detected from the message when omitted."`
	LastEventID    string `header:"Last-Event-ID" doc:"Sent by EventSource when it reconnects: the run continues after this event (\"<run_id>:<seq>\") instead of starting again."`
}

// StreamBody is the input of POST /api/v1/chat/stream.
type StreamBody struct {
	LastEventID string `header:"Last-Event-ID" doc:"Resume the run after this event (\"<run_id>:<seq>\") instead of starting a new one."`
	Body        v1.ChatRequest
}

// ChatInput is the input of POST /api/v1/chat.
type ChatInput struct {
	Body v1.ChatRequest
}

// ChatOutput is the REST fallback's answer.
type ChatOutput struct {
	Body v1.ChatResponse
}

func (s *server) registerChat(api huma.API) {
	streamDoc := "Streams the answer as Server-Sent Events. Every event's `data` is one JSON object `{\"type\", \"content\"}` " +
		"(start, status, sources, token..., then done or error); there are no `event:` lines, so `EventSource.onmessage` receives all of them. " +
		"Every event has an `id` of the form `<run_id>:<seq>`: a reconnect that sends `Last-Event-ID` continues the same run after that event, " +
		"from the run's log, without asking the language model again; a reconnect after the run has ended gets 204, which stops EventSource. " +
		"Comment lines (`: ping`) every 15 s keep idle connections open. Clients should close the stream on `done` or `error`; " +
		"a stream that ends without either was cut and must be resumed with `Last-Event-ID` (over HTTP/1.1 the body is chunked, so a cut is an error, never a clean end)."
	register(s, api, accessChat, s.streamOperation(api, huma.Operation{
		OperationID: "chat-stream",
		Method:      http.MethodGet,
		Path:        "/api/v1/chat/stream",
		Summary:     "Ask a question, stream the answer (EventSource)",
		Description: streamDoc,
		Tags:        []string{"chat"},
	}), func(ctx context.Context, in *StreamQuery) (*huma.StreamResponse, error) {
		return s.stream(ctx, rag.Ask{Message: in.Message, ConversationID: in.ConversationID, Lang: in.Lang}, in.LastEventID, "query.")
	})
	register(s, api, accessChat, s.streamOperation(api, huma.Operation{
		OperationID:  "chat-stream-post",
		Method:       http.MethodPost,
		Path:         "/api/v1/chat/stream",
		Summary:      "Ask a question with a JSON body, stream the answer",
		Description:  "The same stream as GET /api/v1/chat/stream, for clients that send JSON (long questions, custom headers). " + streamDoc,
		Tags:         []string{"chat"},
		MaxBodyBytes: s.cfg.MaxBodyBytes,
	}), func(ctx context.Context, in *StreamBody) (*huma.StreamResponse, error) {
		return s.stream(ctx, rag.Ask{Message: in.Body.Message, ConversationID: in.Body.ConversationID, Lang: in.Body.Lang}, in.LastEventID, "body.")
	})
	register(s, api, accessChat, huma.Operation{
		OperationID:  "chat",
		Method:       http.MethodPost,
		Path:         "/api/v1/chat",
		Summary:      "Ask a question, get the whole answer (REST fallback)",
		Description:  "For clients without EventSource: runs the same pipeline and returns the complete answer with its sources. A failing language model gives 502, 503 or 504. A client that disconnects before the answer is complete stops it (the partial answer is kept in the conversation, status stopped), since it cannot resume.",
		Tags:         []string{"chat"},
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		Errors:       []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout},
	}, s.chat)
}

// streamOperation documents an SSE operation: the event union, one schema
// per type discriminated by "type", and the 204 of a finished run.
func (s *server) streamOperation(api huma.API, op huma.Operation) huma.Operation {
	reg := api.OpenAPI().Components.Schemas
	types := []struct {
		name string
		v    any
	}{
		{v1.TypeStart, v1.StartEvent{}},
		{v1.TypeStatus, v1.StatusEvent{}},
		{v1.TypeSources, v1.SourcesEvent{}},
		{v1.TypeToken, v1.TokenEvent{}},
		{v1.TypeDone, v1.DoneEvent{}},
		{v1.TypeError, v1.ErrorEvent{}},
	}
	// The union is a named component, so that generators make a ChatEvent type.
	if _, ok := reg.Map()["ChatEvent"]; !ok {
		union := &huma.Schema{
			Title:         "ChatEvent",
			Description:   "The JSON data of one event of the chat stream, discriminated by type.",
			Discriminator: &huma.Discriminator{PropertyName: "type", Mapping: map[string]string{}},
		}
		for _, t := range types {
			ref := reg.Schema(reflect.TypeOf(t.v), true, "")
			union.OneOf = append(union.OneOf, ref)
			union.Discriminator.Mapping[t.name] = ref.Ref
		}
		reg.Map()["ChatEvent"] = union
	}
	union := &huma.Schema{Ref: "#/components/schemas/ChatEvent"}
	op.Responses = map[string]*huma.Response{
		"200": {
			Description: "The event stream. Each event: `data: <ChatEvent JSON>` and `id: <run_id>:<seq>`.",
			Headers: map[string]*huma.Param{
				"Cache-Control":     {Schema: &huma.Schema{Type: "string"}, Description: "no-cache"},
				"X-Accel-Buffering": {Schema: &huma.Schema{Type: "string"}, Description: "no (tells nginx not to buffer the stream)"},
			},
			Content: map[string]*huma.MediaType{"text/event-stream": {Schema: union}},
		},
		"204": {Description: "The run named by Last-Event-ID has ended and every event was delivered; EventSource stops reconnecting."},
	}
	op.Errors = []int{http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusServiceUnavailable}
	return op
}

// stream starts (or, with Last-Event-ID, resumes) a run and streams it.
// Everything that can fail is checked before the stream starts, so it
// fails as problem+json; later failures are error events.
func (s *server) stream(ctx context.Context, ask rag.Ask, lastID, loc string) (*huma.StreamResponse, error) {
	received := time.Now()
	resume, ok, err := parseLastEventID(lastID)
	if err != nil {
		return nil, s.problem(ctx, rag.Invalid("Last-Event-ID", "%v", err), "header.")
	}
	var run *rag.Run
	after := 0
	if ok {
		run, err = s.ownRun(ctx, resume.RunID, "Last-Event-ID", s.mayRead)
		if errors.Is(err, rag.ErrNotFound) {
			return nil, s.problem(ctx, rag.NotFound("Last-Event-ID", "run %s is unknown or expired; ask again", resume.RunID), "header.")
		}
		if err != nil {
			return nil, s.problem(ctx, err, "header.")
		}
		after = resume.Seq
		s.deps.Metrics.Resumes.Inc()
	} else {
		ask.Received, ask.Owner = received, owner(ctx)
		run, err = s.deps.Runs.Start(ctx, ask)
		if err != nil {
			return nil, s.problem(ctx, err, loc)
		}
		s.logRun(ctx, run, ask)
	}
	return s.follow(run, after), nil
}

// follow streams a run's events after seq after.
func (s *server) follow(run *rag.Run, after int) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		if fin, n := run.Finished(); fin && after >= n {
			hctx.SetStatus(http.StatusNoContent)
			return
		}
		r, w := humago.Unwrap(hctx)
		if s.deps.Streams != nil {
			s.deps.Streams.Add(1)
		}
		// Over HTTP/1 the stream takes the connection over, so that an idle
		// stream costs a small goroutine instead of net/http's handler
		// stack and buffers (see sink.go). HTTP/2 streams stay in net/http.
		if r.ProtoMajor == 1 {
			if sink, ok := hijackSink(w, s.deps.Conns); ok {
				go s.pump(sink, run, after)
				return
			}
		}
		s.pump(newResponseSink(w, r), run, after)
	}}
}

// pump writes a run's events to a subscriber until the run ends, the
// client goes away or a write fails.
func (s *server) pump(sink eventSink, run *rag.Run, after int) {
	if s.deps.Streams != nil {
		defer s.deps.Streams.Done()
	}
	defer sink.close()
	unsubscribe := run.Subscribe()
	defer unsubscribe()
	s.deps.Metrics.ActiveStreams.Inc()
	defer s.deps.Metrics.ActiveStreams.Dec()

	if err := sink.write(retryField(s.cfg.RetryMS)); err != nil {
		return
	}
	heartbeat := time.NewTicker(s.cfg.Heartbeat)
	defer heartbeat.Stop()
	for {
		events, more := run.Next(after)
		if len(events) > 0 {
			// Events that queued up while this stream was behind go out
			// in one write: one system call instead of one per event.
			if err := writeEvents(sink, run.ID, events); err != nil {
				return // the client went away; the run goes on for the grace period
			}
			after = events[len(events)-1].Seq
		}
		if events == nil && more == nil {
			sink.end()
			return // finished and delivered
		}
		if more == nil {
			continue
		}
		select {
		case <-more:
		case <-heartbeat.C:
			if err := sink.write(heartbeatComment); err != nil {
				return
			}
		case <-sink.gone():
			return
		}
	}
}

func (s *server) chat(ctx context.Context, in *ChatInput) (*ChatOutput, error) {
	ask := rag.Ask{Message: in.Body.Message, ConversationID: in.Body.ConversationID, Lang: in.Body.Lang, Owner: owner(ctx), Received: time.Now()}
	run, err := s.deps.Runs.Start(ctx, ask)
	if err != nil {
		return nil, s.problem(ctx, err, "body.")
	}
	s.logRun(ctx, run, ask)
	unsubscribe := run.Subscribe()
	defer unsubscribe()
	if err := run.Wait(ctx); err != nil {
		// The client went away (the app's Stop in REST mode does this).
		// A REST client cannot resume, so nobody will read the rest:
		// stop now, keeping the partial answer, rather than letting the
		// model write on for the grace period.
		run.Stop()
		return nil, err
	}
	out := &ChatOutput{Body: v1.ChatResponse{
		ConversationID: run.ConversationID,
		MessageID:      run.MessageID,
		RunID:          run.ID,
		Sources:        []v1.Source{},
		Cited:          []int{},
	}}
	var text strings.Builder
	for _, e := range run.Events() {
		switch e.Type {
		case rag.EventSources:
			out.Body.Sources = wireSources(e.Sources)
		case rag.EventToken:
			text.WriteString(e.Token)
		case rag.EventDone:
			d := wireDone(e.Done)
			out.Body.FinishReason, out.Body.Cited, out.Body.Model, out.Body.Usage, out.Body.Timings = d.FinishReason, d.Cited, d.Model, d.Usage, d.Timings
		case rag.EventError:
			return nil, runErrorProblem(e.Error)
		}
	}
	out.Body.Response = text.String()
	return out, nil
}

// runErrorProblem maps a failed run to the REST fallback's status.
func runErrorProblem(e *rag.RunError) error {
	status := http.StatusInternalServerError
	switch e.Code {
	case rag.CodeUpstream, rag.CodeInterrupted:
		status = http.StatusBadGateway
	case rag.CodeUnavailable, rag.CodeCancelled, rag.CodeSearch:
		status = http.StatusServiceUnavailable
	case rag.CodeTimeout:
		status = http.StatusGatewayTimeout
	}
	return huma.NewError(status, e.Message, errors.New(e.Code))
}

func (s *server) logRun(ctx context.Context, run *rag.Run, ask rag.Ask) {
	attrs := []any{"run_id", run.ID, "conversation_id", run.ConversationID, "lang", run.Lang, "message_chars", len([]rune(ask.Message))}
	if s.cfg.LogQuestions {
		attrs = append(attrs, "message", ask.Message)
	}
	s.log.InfoContext(ctx, "run started", attrs...)
}
