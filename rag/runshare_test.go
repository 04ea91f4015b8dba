package rag_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"ragchat/rag"
	"ragchat/rag/ragtest"
)

// instances returns two runners sharing one in-memory RunShare, as two
// server instances behind a load balancer: a runs the answers, b is asked
// about them.
func instances(t *testing.T, gen func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error), grace time.Duration) (a, b *fixture, share *ragtest.Share) {
	t.Helper()
	share = &ragtest.Share{}
	cfg := rag.RunnerConfig{Share: share, Grace: grace}
	return newFixture(t, gen, cfg), newFixture(t, ragtest.Tokens("never used"), cfg), share
}

// startAndMirror starts a run on a, followed there, waits for its first
// token and returns it with b's mirror of it.
func startAndMirror(t *testing.T, a, b *fixture) (run, mirror *rag.Run) {
	t.Helper()
	ctx := context.Background()
	run, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(run.Subscribe())
	waitTokens(t, run, 1)
	mirror, err = b.runner.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	return run, mirror
}

func TestSharedRunFollowedElsewhere(t *testing.T) {
	release := make(chan struct{})
	a, b, _ := instances(t, func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		for _, tok := range []string{"Server", "-Sent", " Events"} {
			if err := token(tok); err != nil {
				return rag.Generation{}, err
			}
			if tok == "-Sent" {
				select { // b joins in the middle
				case <-release:
				case <-ctx.Done():
					return rag.Generation{}, ctx.Err()
				}
			}
		}
		return rag.Generation{FinishReason: "stop", Model: "fake"}, nil
	}, time.Minute)
	ctx := context.Background()
	run, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Subscribe()()
	waitTokens(t, run, 2)

	mirror, err := b.runner.Get(ctx, run.ID)
	if err != nil {
		t.Fatalf("instance b: Get(%s): %v", run.ID, err)
	}
	if !mirror.Remote() || mirror.ConversationID != run.ConversationID || mirror.MessageID != run.MessageID || mirror.Lang != run.Lang {
		t.Errorf("mirror = remote %v, conversation %q, message %q, lang %q; want remote, %q, %q, %q", mirror.Remote(), mirror.ConversationID, mirror.MessageID, mirror.Lang, run.ConversationID, run.MessageID, run.Lang)
	}
	if again, _ := b.runner.Get(ctx, run.ID); again != mirror {
		t.Error("a second Get on b made a second mirror")
	}
	close(release)
	want := collect(t, run, 0)
	if diff := cmp.Diff(want, collect(t, mirror, 0)); diff != "" {
		t.Errorf("b's events differ from a's (-a +b):\n%s", diff)
	}
	// Resuming on b after any event gives the rest, as on a.
	for after := range want {
		if diff := cmp.Diff(want[after:], collect(t, mirror, after)); diff != "" {
			t.Fatalf("resume on b after %d (-want +got):\n%s", after, diff)
		}
	}
	if a.gen.Calls() != 1 || b.gen.Calls() != 0 {
		t.Errorf("generator calls: a %d, b %d; want 1, 0", a.gen.Calls(), b.gen.Calls())
	}
}

func TestSharedRunStoppedElsewhere(t *testing.T) {
	a, b, _ := instances(t, ragtest.TokensThenBlock("partial"), time.Minute)
	run, mirror := startAndMirror(t, a, b)
	mirror.Stop()
	evs := collect(t, mirror, 0)
	last := evs[len(evs)-1]
	if last.Type != rag.EventDone || last.Done.FinishReason != rag.FinishStopped {
		t.Fatalf("b's last event = %+v, want done stopped", last)
	}
	if a.gen.Cancelled() != 1 {
		t.Error("a's generator was not cancelled")
	}
	if msg, _ := a.convs.Finished(run.MessageID); msg.Status != rag.StatusStopped || msg.Content != "partial" {
		t.Errorf("a stored %q %q, want stopped with the partial answer", msg.Status, msg.Content)
	}
}

func TestSharedRunKeptAliveByFollowerElsewhere(t *testing.T) {
	const grace = 60 * time.Millisecond
	a, b, _ := instances(t, ragtest.TokensThenBlock("x"), grace)
	ctx := context.Background()
	run, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	waitTokens(t, run, 1)
	mirror, err := b.runner.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	unsub := mirror.Subscribe()
	// Nobody follows the run on a; b's follower keeps it alive well past
	// the grace period.
	time.Sleep(5 * grace)
	if fin, _ := run.Finished(); fin {
		t.Fatal("a cancelled a run that a client follows through b")
	}
	unsub()
	evs := collect(t, mirror, 0)
	if last := evs[len(evs)-1]; last.Type != rag.EventError || last.Error.Code != rag.CodeCancelled {
		t.Fatalf("after b's follower left, last event = %+v, want the grace cancellation", last)
	}
}

func TestSharedRunErrors(t *testing.T) {
	a, b, share := instances(t, ragtest.Tokens("x"), time.Minute)
	ctx := context.Background()
	if _, err := b.runner.Get(ctx, "unknown-run"); !errors.Is(err, rag.ErrNotFound) {
		t.Errorf("Get of a run no instance has = %v, want NotFound", err)
	}
	run, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	collect(t, run, 0)
	share.SetFail(ragtest.ErrShareDown)
	_, err = b.runner.Get(ctx, run.ID)
	if !errors.Is(err, rag.ErrUnavailable) || errors.Is(err, rag.ErrNotFound) {
		t.Errorf("Get while the share is down = %v, want unavailable (not not-found)", err)
	}
	// a's own runs do not depend on the share.
	if got, err := a.runner.Get(ctx, run.ID); err != nil || got != run {
		t.Errorf("a's Get of its own run while the share is down = %v, %v", got, err)
	}
	run2, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, run2, 0); evs[len(evs)-1].Type != rag.EventDone {
		t.Errorf("a run while the share is down ended with %+v", evs[len(evs)-1])
	}
}

func TestSharedRunMirrorEndsOnClose(t *testing.T) {
	a, b, _ := instances(t, ragtest.TokensThenBlock("x"), time.Minute)
	run, mirror := startAndMirror(t, a, b)
	b.runner.Close()
	evs := collect(t, mirror, 0)
	if last := evs[len(evs)-1]; last.Type != rag.EventError || !last.Error.Retryable {
		t.Fatalf("mirror's last event after b closed = %+v, want a retryable error", last)
	}
	if fin, _ := run.Finished(); fin {
		t.Error("closing b ended a's run")
	}
}

// TestSharedRunOwnerGone: a run whose log never ended and whose owner's
// heartbeat lapsed (its instance died) ends on the instance that follows
// it, with a retryable error, instead of keeping its clients waiting.
func TestSharedRunOwnerGone(t *testing.T) {
	_, b, share := instances(t, ragtest.Tokens("unused"), 300*time.Millisecond)
	ctx := context.Background()
	// What a crashed instance leaves: a start and a token, no heartbeat.
	for _, e := range []rag.Event{
		{Seq: 1, Type: rag.EventStart, Start: &rag.Start{RunID: "orphan", ConversationID: "c", MessageID: "m"}},
		{Seq: 2, Type: rag.EventToken, Token: "half an ans"},
	} {
		if err := share.Publish(ctx, "orphan", e); err != nil {
			t.Fatal(err)
		}
	}
	mirror, err := b.runner.Get(ctx, "orphan")
	if err != nil {
		t.Fatal(err)
	}
	evs := collect(t, mirror, 0)
	if last := evs[len(evs)-1]; len(evs) != 3 || last.Type != rag.EventError || !last.Error.Retryable {
		t.Fatalf("mirror of an orphaned run: %v, last %+v; want start, token, retryable error", types(evs), last)
	}
}

// TestSharedRunSlowOwnerAlive: a live owner that sends nothing for longer
// than a follower's read wait (a slow first token) is not taken for dead.
func TestSharedRunSlowOwnerAlive(t *testing.T) {
	a, b, _ := instances(t, ragtest.TokensThenBlock("x"), 300*time.Millisecond)
	run, mirror := startAndMirror(t, a, b)
	defer mirror.Subscribe()()
	// Past the first heartbeat's 3 s lifetime (only the runner's beats keep
	// the owner alive after it) and many of the follower's read waits.
	time.Sleep(4 * time.Second)
	if fin, _ := mirror.Finished(); fin {
		t.Fatalf("the mirror of a live run ended: %v", types(mirror.Events()))
	}
	run.Stop()
	if last := collect(t, mirror, 0); last[len(last)-1].Type != rag.EventDone {
		t.Errorf("after stop, mirror ended with %s", last[len(last)-1].Type)
	}
}

// TestSharedRunPublishRetry: when a publish reached the share but its
// reply was lost, the retry sends only what is missing, so followers
// elsewhere see every event once.
func TestSharedRunPublishRetry(t *testing.T) {
	a, b, share := instances(t, ragtest.Tokens("one ", "two ", "three"), time.Minute)
	share.SetLostReplies(2)
	ctx := context.Background()
	run, err := a.runner.Start(ctx, rag.Ask{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	want := collect(t, run, 0)
	mirror, err := b.runner.Get(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, collect(t, mirror, 0)); diff != "" {
		t.Errorf("events seen elsewhere after lost replies (-owner +mirror):\n%s", diff)
	}
}
