package rag_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/rag/ragtest"
)

type fixture struct {
	runner *rag.Runner
	gen    *ragtest.Generator
	convs  *ragtest.Conversations
	store  *ragtest.Store
}

func newFixture(t *testing.T, gen func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error), cfg rag.RunnerConfig) *fixture {
	t.Helper()
	f := &fixture{gen: &ragtest.Generator{Func: gen}, convs: &ragtest.Conversations{}, store: &ragtest.Store{}}
	err := f.store.Index(context.Background(), []rag.Chunk{
		{ID: "d1#0", DocumentID: "d1", Title: "SSE", Text: "SSE streams events from server to client over HTTP."},
		{ID: "d2#0", DocumentID: "d2", Title: "WebSocket", Text: "WebSocket is a two-way protocol."},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &rag.Pipeline{Store: f.store, Embedder: &ragtest.Embedder{}, Generator: f.gen}
	f.runner = rag.NewRunner(p, f.convs, cfg)
	t.Cleanup(f.runner.Close)
	return f
}

// collect follows a run from after until it ends and returns the events.
func collect(t *testing.T, run *rag.Run, after int) []rag.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []rag.Event
	for {
		evs, more := run.Next(after)
		out = append(out, evs...)
		if len(evs) > 0 {
			after = evs[len(evs)-1].Seq
			continue
		}
		if more == nil {
			return out
		}
		select {
		case <-more:
		case <-ctx.Done():
			t.Fatalf("run %s did not finish; events so far: %v", run.ID, types(out))
		}
	}
}

func types(evs []rag.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Type))
	}
	return out
}

func tokens(evs []rag.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == rag.EventToken {
			b.WriteString(e.Token)
		}
	}
	return b.String()
}

func TestRunEventSequence(t *testing.T) {
	f := newFixture(t, ragtest.Tokens("SSE ", "streams ", "events [1]."), rag.RunnerConfig{})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	unsub := run.Subscribe()
	defer unsub()
	evs := collect(t, run, 0)
	want := []string{"start", "status", "sources", "status", "token", "token", "token", "done"}
	if diff := cmp.Diff(want, types(evs)); diff != "" {
		t.Fatalf("event types (-want +got):\n%s", diff)
	}
	for i, e := range evs {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
	}
	if got := evs[0].Start; got.RunID != run.ID || got.ConversationID == "" || got.MessageID == "" {
		t.Errorf("start = %+v", got)
	}
	if evs[1].Status.Stage != rag.StageRetrieving || evs[3].Status.Stage != rag.StageGenerating {
		t.Errorf("stages = %s, %s", evs[1].Status.Stage, evs[3].Status.Stage)
	}
	if evs[1].Status.Text != "Searching documents..." {
		t.Errorf("english status text = %q", evs[1].Status.Text)
	}
	if len(evs[2].Sources) == 0 || evs[2].Sources[0].N != 1 || evs[2].Sources[0].DocumentID != "d1" {
		t.Errorf("sources = %+v", evs[2].Sources)
	}
	done := evs[len(evs)-1].Done
	if done.FinishReason != "stop" || !cmp.Equal(done.Cited, []int{1}) || done.Model != "fake" {
		t.Errorf("done = %+v", done)
	}
	if done.Timings.TotalMS < done.Timings.FirstTokenMS || done.Timings.FirstTokenMS < done.Timings.FirstEventMS {
		t.Errorf("timings out of order: %+v", done.Timings)
	}
	msg, ok := f.convs.Finished(run.MessageID)
	if !ok {
		t.Fatal("answer not stored")
	}
	if msg.Status != rag.StatusComplete || msg.Content != "SSE streams events [1]." || len(msg.Sources) == 0 {
		t.Errorf("stored message = %+v", msg)
	}
}

func TestRunKoreanStatus(t *testing.T) {
	f := newFixture(t, ragtest.Tokens("네"), rag.RunnerConfig{})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "SSE가 무엇인가요?"})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, run, 0)
	if got := evs[1].Status.Text; got != "문서 검색 중..." {
		t.Errorf("status = %q", got)
	}
	if got := evs[3].Status.Text; got != "답변 생성 중..." {
		t.Errorf("status = %q", got)
	}
}

// TestResume cuts a subscriber after each event in turn: a new subscriber
// that resumes after the last event seen gets the rest, the tokens add up
// to the uncut answer, and the generator ran once per run.
func TestResume(t *testing.T) {
	toks := []string{"a", "b", "c", "d", "e"}
	f := newFixture(t, ragtest.Tokens(toks...), rag.RunnerConfig{})
	full := strings.Join(toks, "")
	runs := 0
	for cut := 0; cut <= 10; cut++ {
		run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
		if err != nil {
			t.Fatal(err)
		}
		runs++
		first := collect(t, run, 0)
		if cut > len(first) {
			break
		}
		seen := first[:cut]
		last := 0
		if cut > 0 {
			last = seen[cut-1].Seq
		}
		rest := collect(t, run, last)
		got := tokens(seen) + tokens(rest)
		if got != full {
			t.Errorf("cut after %d: tokens %q, want %q", cut, got, full)
		}
		if n := len(seen) + len(rest); n != len(first) {
			t.Errorf("cut after %d: %d events, want %d", cut, n, len(first))
		}
	}
	if f.gen.Calls() != runs {
		t.Errorf("generator called %d times for %d runs", f.gen.Calls(), runs)
	}
}

func TestStop(t *testing.T) {
	f := newFixture(t, ragtest.TokensThenBlock("partial ", "answer"), rag.RunnerConfig{})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	unsub := run.Subscribe()
	defer unsub()
	waitTokens(t, run, 2)
	run.Stop()
	evs := collect(t, run, 0)
	last := evs[len(evs)-1]
	if last.Type != rag.EventDone || last.Done.FinishReason != rag.FinishStopped {
		t.Fatalf("last event = %+v", last)
	}
	if f.gen.Cancelled() != 1 {
		t.Errorf("the generator's context was not cancelled")
	}
	msg, _ := f.convs.Finished(run.MessageID)
	if msg.Status != rag.StatusStopped || msg.Content != "partial answer" {
		t.Errorf("stored = %q %q", msg.Status, msg.Content)
	}
	run.Stop() // stopping a finished run changes nothing
	if n := len(run.Events()); n != len(evs) {
		t.Errorf("events after second stop: %d, want %d", n, len(evs))
	}
}

func waitTokens(t *testing.T, run *rag.Run, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		evs, more := run.Next(0)
		count := 0
		for _, e := range evs {
			if e.Type == rag.EventToken {
				count++
			}
		}
		if count >= n {
			return
		}
		if more == nil {
			evs, more = run.Next(len(evs))
		}
		select {
		case <-more:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %d tokens", n)
		}
	}
}

func TestGraceCancelsAbandonedRun(t *testing.T) {
	f := newFixture(t, ragtest.TokensThenBlock("x"), rag.RunnerConfig{Grace: 30 * time.Millisecond})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	unsub := run.Subscribe()
	waitTokens(t, run, 1)
	unsub()
	evs := collect(t, run, 0)
	last := evs[len(evs)-1]
	if last.Type != rag.EventError || last.Error.Code != rag.CodeCancelled {
		t.Fatalf("last event = %+v", last)
	}
	if f.gen.Cancelled() != 1 {
		t.Error("the generator's context was not cancelled")
	}
	msg, _ := f.convs.Finished(run.MessageID)
	if msg.Status != rag.StatusError || msg.Content != "x" {
		t.Errorf("stored = %q %q", msg.Status, msg.Content)
	}
}

func TestSubscriberKeepsRunAlive(t *testing.T) {
	release := make(chan struct{})
	f := newFixture(t, func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return rag.Generation{}, ctx.Err()
		}
		return rag.Generation{FinishReason: "stop"}, token("ok")
	}, rag.RunnerConfig{Grace: 20 * time.Millisecond})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	unsub := run.Subscribe()
	defer unsub()
	time.Sleep(80 * time.Millisecond) // several grace periods with a subscriber
	close(release)
	evs := collect(t, run, 0)
	if last := evs[len(evs)-1]; last.Type != rag.EventDone {
		t.Fatalf("last = %+v", last)
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name      string
		gen       func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error)
		searchErr error
		code      string
		retryable bool
		content   string
	}{
		{"unavailable before first token", ragtest.TokensThenFail(rag.ErrUnavailable), nil, rag.CodeUnavailable, true, ""},
		{"upstream error mid-stream", ragtest.TokensThenFail(rag.ErrUpstream, "half "), nil, rag.CodeUpstream, false, "half "},
		{"stream interrupted mid-answer", ragtest.TokensThenFail(fmt.Errorf("openai: chat stream: %w: the stream broke off", rag.ErrInterrupted), "half ", "an "), nil, rag.CodeInterrupted, true, "half an "},
		{"timeout", ragtest.TokensThenFail(rag.ErrTimeout, "a"), nil, rag.CodeTimeout, true, "a"},
		{"search down", ragtest.Tokens("never"), rag.ErrUnavailable, rag.CodeSearch, true, ""},
		{"unclassified", ragtest.TokensThenFail(errors.New("boom")), nil, rag.CodeInternal, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.gen, rag.RunnerConfig{})
			f.store.Err = tt.searchErr
			run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
			if err != nil {
				t.Fatal(err)
			}
			evs := collect(t, run, 0)
			last := evs[len(evs)-1]
			if last.Type != rag.EventError {
				t.Fatalf("last event = %+v", last)
			}
			if last.Error.Code != tt.code || last.Error.Retryable != tt.retryable {
				t.Errorf("error = %+v, want code %s retryable %v", last.Error, tt.code, tt.retryable)
			}
			if strings.Contains(last.Error.Message, "boom") {
				t.Errorf("internal detail leaked: %q", last.Error.Message)
			}
			msg, _ := f.convs.Finished(run.MessageID)
			if msg.Status != rag.StatusError || msg.Content != tt.content {
				t.Errorf("stored = %q %q", msg.Status, msg.Content)
			}
		})
	}
}

func TestStartRejectsBadInput(t *testing.T) {
	f := newFixture(t, ragtest.Tokens("x"), rag.RunnerConfig{MaxMessageChars: 10})
	tests := []struct {
		name  string
		ask   rag.Ask
		field string
		kind  error
	}{
		{"empty", rag.Ask{Message: ""}, "message", rag.ErrInvalid},
		{"spaces", rag.Ask{Message: " \n\t "}, "message", rag.ErrInvalid},
		{"too long", rag.Ask{Message: strings.Repeat("가", 11)}, "message", rag.ErrInvalid},
		{"bad lang", rag.Ask{Message: "hi", Lang: "xx"}, "lang", rag.ErrInvalid},
		{"unknown conversation", rag.Ask{Message: "hi", ConversationID: "nope"}, "conversation_id", rag.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.runner.Start(context.Background(), tt.ask)
			var fe *rag.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want a %v field error on %s", err, tt.kind, tt.field)
			}
		})
	}
	if f.gen.Calls() != 0 {
		t.Errorf("generator called %d times for rejected input", f.gen.Calls())
	}
	// Exactly at the limit is fine.
	if _, err := f.runner.Start(context.Background(), rag.Ask{Message: strings.Repeat("가", 10)}); err != nil {
		t.Errorf("10 characters: %v", err)
	}
}

func TestFollowUpUsesHistory(t *testing.T) {
	var got rag.GenerateRequest
	f := newFixture(t, func(ctx context.Context, req rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		got = req
		return rag.Generation{FinishReason: "stop"}, token("ok")
	}, rag.RunnerConfig{})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, run, 0)
	run2, err := f.runner.Start(context.Background(), rag.Ask{Message: "and the other protocol?", ConversationID: run.ConversationID})
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, run2, 0)
	if len(got.History) != 2 || got.History[0].Content != "What is SSE?" || got.History[1].Content != "ok" {
		t.Errorf("history = %+v", got.History)
	}
	done := evs[len(evs)-1].Done
	if !strings.Contains(done.SearchQuery, "What is SSE?") {
		t.Errorf("search query %q does not carry the previous question", done.SearchQuery)
	}
}

func TestFinishedRunsAreBounded(t *testing.T) {
	f := newFixture(t, ragtest.Tokens("x"), rag.RunnerConfig{MaxFinished: 2})
	var ids []string
	for range 3 {
		run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
		if err != nil {
			t.Fatal(err)
		}
		collect(t, run, 0)
		ids = append(ids, run.ID)
		time.Sleep(5 * time.Millisecond) // finish is recorded just after the final event
	}
	if _, err := f.runner.Get(context.Background(), ids[0]); !errors.Is(err, rag.ErrNotFound) {
		t.Errorf("oldest run still kept: %v", err)
	}
	for _, id := range ids[1:] {
		if _, err := f.runner.Get(context.Background(), id); err != nil {
			t.Errorf("run %s: %v", id, err)
		}
	}
}

func TestCloseCancelsRuns(t *testing.T) {
	f := newFixture(t, ragtest.TokensThenBlock("x"), rag.RunnerConfig{})
	run, err := f.runner.Start(context.Background(), rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	unsub := run.Subscribe()
	defer unsub()
	waitTokens(t, run, 1)
	f.runner.Close()
	evs := run.Events()
	if last := evs[len(evs)-1]; last.Type != rag.EventError || last.Error.Code != rag.CodeCancelled {
		t.Fatalf("last = %+v", last)
	}
	if _, err := f.runner.Start(context.Background(), rag.Ask{Message: "again"}); !errors.Is(err, rag.ErrUnavailable) {
		t.Errorf("start after close: %v", err)
	}
}

func TestErrorOfMessages(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		e := rag.ErrorOf(fmt.Errorf("x: %w", rag.ErrInterrupted), lang)
		up := rag.ErrorOf(rag.ErrUpstream, lang)
		if e.Code != rag.CodeInterrupted || !e.Retryable || e.Message == "" || e.Message == up.Message {
			t.Errorf("%s: interrupted reported as %+v (upstream error says %q)", lang, e, up.Message)
		}
	}
}
