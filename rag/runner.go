package rag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// RunnerConfig sets the limits of a Runner.
type RunnerConfig struct {
	Grace           time.Duration // a run nobody listens to for this long is cancelled; default 60s
	Retention       time.Duration // finished runs stay resumable this long; default 10m
	MaxFinished     int           // at most this many finished runs are kept; default 1000
	MaxMessageChars int           // longest question in characters; default 4000
	Logger          *slog.Logger
	// OnFinish, if set, is called once per run with its final event (metrics).
	OnFinish func(run *Run, final Event)
	// Share, if set, publishes every run's events for other instances and
	// lets Get find their runs (see RunShare).
	Share RunShare
}

func (c *RunnerConfig) setDefaults() {
	if c.Grace <= 0 {
		c.Grace = 60 * time.Second
	}
	if c.Retention <= 0 {
		c.Retention = 10 * time.Minute
	}
	if c.MaxFinished <= 0 {
		c.MaxFinished = 1000
	}
	if c.MaxMessageChars <= 0 {
		c.MaxMessageChars = 4000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Answerer is the pipeline as the runner uses it.
type Answerer interface {
	Answer(ctx context.Context, q Question, emit func(Event)) (Answer, error)
}

// Runner starts runs and keeps them, active and recently finished, so they
// can be followed, resumed and stopped by id.
type Runner struct {
	cfg      RunnerConfig
	answerer Answerer
	convs    Conversations

	mu       sync.Mutex
	runs     map[string]*Run
	finished []*Run // in order of finishing, for retention and the bound
	closed   bool
	wg       sync.WaitGroup
	stopGC   chan struct{}

	// ctx ends when the runner closes; it bounds the goroutines that talk
	// to the RunShare.
	ctx      context.Context
	closeCtx context.CancelFunc
}

// NewRunner returns a Runner; Close it to cancel what still runs.
func NewRunner(a Answerer, convs Conversations, cfg RunnerConfig) *Runner {
	cfg.setDefaults()
	r := &Runner{cfg: cfg, answerer: a, convs: convs, runs: map[string]*Run{}, stopGC: make(chan struct{})}
	r.ctx, r.closeCtx = context.WithCancel(context.Background())
	go r.collect()
	if cfg.Share != nil {
		stops, err := cfg.Share.StopRequests(r.ctx)
		if err != nil {
			// Stops sent through other instances will not arrive; runs
			// still work, and stop here.
			cfg.Logger.Error("listen for stop requests of other instances", "err", err)
		} else {
			r.wg.Add(1)
			go r.serveStops(stops)
		}
		r.wg.Add(1)
		go r.beat()
	}
	return r
}

// Ask is a request for an answer.
type Ask struct {
	Message        string
	ConversationID string
	Owner          string    // the asking user's id ("" in open mode); a conversation of another owner is NotFound
	Lang           string    // "ko", "en" or "" (detect from Message)
	Received       time.Time // zero means now
}

// Validate checks a request's fields and normalises them.
func (r *Runner) Validate(a *Ask) error {
	a.Message = strings.TrimSpace(a.Message)
	if a.Message == "" {
		return Invalid("message", "must contain a non-space character")
	}
	if n := utf8.RuneCountInString(a.Message); n > r.cfg.MaxMessageChars {
		return Invalid("message", "is %d characters long; the limit is %d", n, r.cfg.MaxMessageChars)
	}
	if !utf8.ValidString(a.Message) {
		return Invalid("message", "must be valid UTF-8")
	}
	if a.Lang != "" {
		l := NormalizeLang(a.Lang)
		if l == "" {
			return Invalid("lang", "must be ko or en")
		}
		a.Lang = l
	} else {
		a.Lang = DetectLang(a.Message)
	}
	return nil
}

// Start validates the request, records the user's turn and starts a run.
// The returned run already holds its start event; it is cancelled if no
// one subscribes within the grace period.
func (r *Runner) Start(ctx context.Context, a Ask) (*Run, error) {
	if err := r.Validate(&a); err != nil {
		return nil, err
	}
	if a.Received.IsZero() {
		a.Received = time.Now()
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("runner: %w", ErrUnavailable)
	}
	runID := NewID()
	turn, err := r.convs.BeginTurn(ctx, a.Owner, a.ConversationID, a.Message, runID)
	if err != nil {
		return nil, fmt.Errorf("begin turn: %w", err)
	}
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	run := &Run{
		ID:             runID,
		ConversationID: turn.ConversationID,
		MessageID:      turn.AssistantMessageID,
		Lang:           a.Lang,
		Received:       a.Received,
		cancel:         cancel,
		runner:         r,
		changed:        make(chan struct{}),
	}
	run.append(Event{Type: EventStart, Start: &Start{RunID: run.ID, ConversationID: run.ConversationID, MessageID: run.MessageID, Lang: run.Lang}})
	run.mu.Lock()
	run.startIdleLocked()
	run.mu.Unlock()

	published := 0
	if r.cfg.Share != nil {
		// The start event goes out before anyone can see the run, so a
		// client that saw any of its events finds it on every instance.
		if err := r.publishEvents(run.ID, run.events[:1]); err != nil {
			r.cfg.Logger.Error("publish a run's start; other instances cannot follow it", "run_id", run.ID, "err", err)
		} else {
			published = 1
		}
	}
	r.mu.Lock()
	r.runs[run.ID] = run
	r.wg.Add(1)
	if published > 0 {
		r.wg.Add(1)
		go r.publish(run, published)
	}
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer cancel(nil)
		r.execute(runCtx, run, a, turn)
	}()
	return run, nil
}

// Get returns a run that is active or finished recently: this instance's,
// or, with a RunShare, another instance's, followed here as a mirror.
func (r *Runner) Get(ctx context.Context, id string) (*Run, error) {
	r.mu.Lock()
	run, ok := r.runs[id]
	closed := r.closed
	r.mu.Unlock()
	if ok {
		return run, nil
	}
	if r.cfg.Share == nil || closed {
		return nil, NotFound("run_id", "no run %q (unknown, or finished too long ago)", id)
	}
	return r.mirror(ctx, id)
}

// Close cancels every active run and waits until they have recorded their
// partial answers.
func (r *Runner) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, run := range r.runs {
		run.cancel(errShutdown)
	}
	r.mu.Unlock()
	close(r.stopGC)
	r.closeCtx()
	r.wg.Wait()
}

func (r *Runner) execute(ctx context.Context, run *Run, a Ask, turn Turn) {
	var firstToken time.Time
	ans, err := r.answerer.Answer(ctx, Question{Text: a.Message, Lang: a.Lang, History: turn.History}, func(e Event) {
		if e.Type == EventToken && firstToken.IsZero() {
			firstToken = time.Now()
		}
		run.append(e)
	})
	timings := Timings{
		FirstEventMS: ms(run.firstEventAt().Sub(run.Received)),
		RetrievalMS:  ms(ans.Retrieval),
		TotalMS:      ms(time.Since(run.Received)),
	}
	if !firstToken.IsZero() {
		timings.FirstTokenMS = ms(firstToken.Sub(run.Received))
	}
	msg := Message{
		ID:             run.MessageID,
		ConversationID: run.ConversationID,
		Role:           RoleAssistant,
		Content:        ans.Text,
		Sources:        ans.Sources,
		RunID:          run.ID,
		Timings:        &timings,
	}
	var final Event
	cause := context.Cause(ctx)
	switch {
	case err == nil:
		msg.Status, msg.FinishReason = StatusComplete, ans.Generation.FinishReason
		if msg.FinishReason == "" {
			msg.FinishReason = FinishStop
		}
	case errors.Is(cause, errStopped):
		msg.Status, msg.FinishReason = StatusStopped, FinishStopped
	default:
		msg.Status = StatusError
		final = Event{Type: EventError, Error: r.runError(err, cause, a.Lang)}
	}
	if final.Type == "" {
		searchQuery := ""
		if ans.SearchQuery != a.Message {
			searchQuery = ans.SearchQuery
		}
		final = Event{Type: EventDone, Done: &Done{
			FinishReason: msg.FinishReason,
			Cited:        Citations(ans.Text, len(ans.Sources)),
			Model:        ans.Generation.Model,
			Usage:        ans.Generation.Usage,
			Timings:      timings,
			SearchQuery:  searchQuery,
		}}
	}
	// The answer is stored before done goes out, so a client that reads the
	// conversation after done sees it. A cancelled run still gets stored.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.convs.FinishTurn(saveCtx, msg); err != nil {
		r.cfg.Logger.Error("store answer", "run_id", run.ID, "err", err)
		if final.Type == EventDone {
			final = Event{Type: EventError, Error: &RunError{Code: CodeInternal, Message: localize(a.Lang, msgInternal), Retryable: true}}
		}
	}
	if err != nil && final.Type == EventError {
		r.cfg.Logger.Warn("run failed", "run_id", run.ID, "code", final.Error.Code, "err", err, "cause", cause)
	}
	final = run.append(final)
	r.finish(run)
	if r.cfg.OnFinish != nil {
		r.cfg.OnFinish(run, final)
	}
}

func (r *Run) firstEventAt() time.Time {
	// The start event is appended in Start, right after the turn was recorded.
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.startedAt
}

func (r *Runner) runError(err, cause error, lang string) *RunError {
	switch {
	case errors.Is(cause, errAbandoned):
		return &RunError{Code: CodeCancelled, Message: localize(lang, msgAbandoned), Retryable: true}
	case errors.Is(cause, errShutdown):
		return &RunError{Code: CodeCancelled, Message: localize(lang, msgShutdown), Retryable: true}
	}
	e := ErrorOf(err, lang)
	return &e
}

func (r *Runner) finish(run *Run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, run)
	for len(r.finished) > r.cfg.MaxFinished {
		delete(r.runs, r.finished[0].ID)
		r.finished = r.finished[1:]
	}
}

// collect forgets finished runs after the retention period.
func (r *Runner) collect() {
	t := time.NewTicker(min(r.cfg.Retention/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-r.stopGC:
			return
		case now := <-t.C:
			r.mu.Lock()
			n := 0
			for _, run := range r.finished {
				run.mu.Lock()
				old := now.Sub(run.finishedAt) > r.cfg.Retention
				run.mu.Unlock()
				if !old {
					break
				}
				delete(r.runs, run.ID)
				n++
			}
			r.finished = r.finished[n:]
			r.mu.Unlock()
		}
	}
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
