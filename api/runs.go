package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ragchat/rag"
)

// RunEventsInput is the input of GET /api/v1/chat/runs/{run_id}/events.
type RunEventsInput struct {
	RunID       string `path:"run_id" doc:"The run, from the start event."`
	After       int    `query:"after" minimum:"0" doc:"Deliver events after this sequence number (0: from the start). Last-Event-ID wins when both are given."`
	LastEventID string `header:"Last-Event-ID" doc:"Resume after this event (\"<run_id>:<seq>\")."`
}

// StopInput is the input of POST /api/v1/chat/runs/{run_id}/stop.
type StopInput struct {
	RunID string `path:"run_id"`
}

// StopOutput tells how the run ended.
type StopOutput struct {
	Body struct {
		RunID    string `json:"run_id"`
		Finished bool   `json:"finished" doc:"Whether the run has ended (it may take a moment after stop)."`
		Outcome  string `json:"outcome" enum:"stopped,done,error,running" doc:"How the run ended: stopped by this call, done before it, failed, or still ending."`
	}
}

func (s *server) registerRuns(api huma.API) {
	register(s, api, accessChat, s.streamOperation(api, huma.Operation{
		OperationID: "chat-run-events",
		Method:      http.MethodGet,
		Path:        "/api/v1/chat/runs/{run_id}/events",
		Summary:     "Follow or resume a run",
		Description: "Streams a run's events from its log (another tab, another client, or a resume after a dropped connection), then follows it live until done or error. Same format as /api/v1/chat/stream.",
		Tags:        []string{"chat"},
	}), func(ctx context.Context, in *RunEventsInput) (*huma.StreamResponse, error) {
		if !validRunID(in.RunID) {
			return nil, s.problem(ctx, rag.NotFound("run_id", "no run %q", in.RunID), "path.")
		}
		after := in.After
		if last, ok, err := parseLastEventID(in.LastEventID); err != nil {
			return nil, s.problem(ctx, rag.Invalid("Last-Event-ID", "%v", err), "header.")
		} else if ok {
			if last.RunID != in.RunID {
				return nil, s.problem(ctx, rag.Invalid("Last-Event-ID", "belongs to run %s, not %s", last.RunID, in.RunID), "header.")
			}
			after = last.Seq
			s.deps.Metrics.Resumes.Inc()
		}
		run, err := s.ownRun(ctx, in.RunID, "run_id", s.mayRead)
		if err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return s.follow(run, after), nil
	})

	register(s, api, accessChat, huma.Operation{
		OperationID: "chat-run-stop",
		Method:      http.MethodPost,
		Path:        "/api/v1/chat/runs/{run_id}/stop",
		Summary:     "Stop generating",
		Description: "Cancels the run and its upstream language-model request. The partial answer is kept; the stream ends with done, finish_reason \"stopped\". Stopping a finished run changes nothing.",
		Tags:        []string{"chat"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *StopInput) (*StopOutput, error) {
		if !validRunID(in.RunID) {
			return nil, s.problem(ctx, rag.NotFound("run_id", "no run %q", in.RunID), "path.")
		}
		run, err := s.ownRun(ctx, in.RunID, "run_id", s.mayModify)
		if err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		wasFinished, _ := run.Finished()
		if !wasFinished {
			run.Stop()
			s.deps.Metrics.Stops.Inc()
			wait, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_ = run.Wait(wait) // the answer is being stored; report what we know after a moment
		}
		out := &StopOutput{}
		out.Body.RunID = run.ID
		out.Body.Outcome = "running"
		events := run.Events()
		if fin, _ := run.Finished(); fin {
			out.Body.Finished = true
			last := events[len(events)-1]
			switch {
			case last.Type == rag.EventError:
				out.Body.Outcome = "error"
			case last.Done.FinishReason == rag.FinishStopped:
				out.Body.Outcome = "stopped"
			default:
				out.Body.Outcome = "done"
			}
		}
		return out, nil
	})
}

// ownRun finds run id, if the request may act on it by may (judged by its
// conversation's owner); another user's run is NotFound like an unknown one.
func (s *server) ownRun(ctx context.Context, id, field string, may func(context.Context, string) bool) (*rag.Run, error) {
	run, err := s.deps.Runs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.ownedBy(ctx, run.ConversationID, field, may); err != nil {
		if errors.Is(err, rag.ErrNotFound) {
			return nil, rag.NotFound(field, "no run %q (unknown, or finished too long ago)", id)
		}
		return nil, err
	}
	return run, nil
}
