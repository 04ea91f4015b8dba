package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"ragchat/rag"
	"ragchat/store"
)

// ignoreTimes leaves times out of message comparisons; they are checked
// separately where they matter.
var ignoreTimes = cmpopts.IgnoreFields(rag.Message{}, "CreatedAt")

// turn runs one complete turn and returns it.
func turn(t *testing.T, db *store.DB, convID, question string) rag.Turn {
	t.Helper()
	ctx := context.Background()
	tr, err := db.BeginTurn(ctx, "", convID, question, "run-"+question)
	if err != nil {
		t.Fatalf("BeginTurn(%q): %v", question, err)
	}
	err = db.FinishTurn(ctx, rag.Message{ID: tr.AssistantMessageID, Content: "answer to " + question, Status: rag.StatusComplete})
	if err != nil {
		t.Fatalf("FinishTurn: %v", err)
	}
	return tr
}

func TestBeginAndFinishTurn(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		question := "  What is   SSE, and why does ragchat stream answers with it instead of WebSockets?  "
		tr, err := db.BeginTurn(ctx, "", "", question, "run-1")
		if err != nil {
			t.Fatal(err)
		}
		if tr.ConversationID == "" || tr.UserMessageID == "" || tr.AssistantMessageID == "" ||
			tr.UserMessageID == tr.AssistantMessageID || len(tr.History) != 0 {
			t.Fatalf("BeginTurn = %+v, want three distinct ids and no history", tr)
		}
		conv, msgs, err := db.Conversation(ctx, tr.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "What is SSE, and why does ragchat stream answers with it…"; conv.Title != want {
			t.Errorf("title = %q, want %q", conv.Title, want)
		}
		want := []rag.Message{
			{ID: tr.UserMessageID, ConversationID: tr.ConversationID, Role: rag.RoleUser, Content: question, Status: rag.StatusComplete},
			{ID: tr.AssistantMessageID, ConversationID: tr.ConversationID, Role: rag.RoleAssistant, Status: rag.StatusStreaming, RunID: "run-1"},
		}
		if diff := cmp.Diff(want, msgs, ignoreTimes); diff != "" {
			t.Errorf("messages after BeginTurn (-want +got):\n%s", diff)
		}
		if !msgs[0].CreatedAt.Equal(conv.CreatedAt) || !conv.UpdatedAt.Equal(conv.CreatedAt) {
			t.Errorf("times: conversation %v/%v, message %v; want all equal", conv.CreatedAt, conv.UpdatedAt, msgs[0].CreatedAt)
		}

		final := rag.Message{
			ID: tr.AssistantMessageID, Content: "SSE is one-way streaming over HTTP [1]. 끝\x00", Status: rag.StatusComplete,
			FinishReason: "stop", Timings: &rag.Timings{FirstEventMS: 0.5, RetrievalMS: 3.25, FirstTokenMS: 12, TotalMS: 250},
			Sources: []rag.Source{{N: 1, DocumentID: "d1", ChunkID: "d1#0", Title: "SSE", URL: "https://x", Snippet: "SSE is…", Score: 0.75}},
		}
		if err := db.FinishTurn(ctx, final); err != nil {
			t.Fatal(err)
		}
		conv2, msgs, err := db.Conversation(ctx, tr.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		want[1].Content = "SSE is one-way streaming over HTTP [1]. 끝" // the NUL is dropped, not refused
		want[1].Status, want[1].FinishReason, want[1].Timings, want[1].Sources = final.Status, final.FinishReason, final.Timings, final.Sources
		if diff := cmp.Diff(want, msgs, ignoreTimes); diff != "" {
			t.Errorf("messages after FinishTurn (-want +got):\n%s", diff)
		}
		if conv2.UpdatedAt.Before(conv.UpdatedAt) {
			t.Errorf("updated_at went back: %v then %v", conv.UpdatedAt, conv2.UpdatedAt)
		}

		// The next turn sees the first one as history.
		tr2, err := db.BeginTurn(ctx, "", tr.ConversationID, "and its memory use?", "run-2")
		if err != nil {
			t.Fatal(err)
		}
		if tr2.ConversationID != tr.ConversationID {
			t.Errorf("second turn in conversation %q, want %q", tr2.ConversationID, tr.ConversationID)
		}
		if diff := cmp.Diff(want, tr2.History, ignoreTimes); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
	})
}

func TestHistoryLimit(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		id := turn(t, db, "", "q0").ConversationID
		for i := 1; i < 30; i++ {
			turn(t, db, id, fmt.Sprint("q", i))
		}
		tr, err := db.BeginTurn(context.Background(), "", id, "last", "r")
		if err != nil {
			t.Fatal(err)
		}
		h := tr.History
		// 60 earlier messages: the last 50 are turns 5..29, oldest first.
		if len(h) != store.HistoryLimit || h[0].Content != "q5" || h[49].Content != "answer to q29" {
			t.Fatalf("history of %d messages from %q to %q; want 50 from q5 to answer to q29",
				len(h), h[0].Content, h[len(h)-1].Content)
		}
	})
}

func TestTurnBadInput(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, q := range []string{"", " \n ", "a\x00b", "\xff"} {
			_, err := db.BeginTurn(ctx, "", "", q, "r")
			wantField(t, err, rag.ErrInvalid, "message")
		}
		_, err := db.BeginTurn(ctx, "", "no-such-conversation", "hello", "r")
		wantField(t, err, rag.ErrNotFound, "conversation_id")
		if convs, _, err := db.ListConversations(ctx, "", "", 0); err != nil || len(convs) != 0 {
			t.Fatalf("conversations after bad input = %v, %v; want none", convs, err)
		}

		tr := turn(t, db, "", "q")
		wantField(t, db.FinishTurn(ctx, rag.Message{ID: "nope", Status: rag.StatusComplete}), rag.ErrNotFound, "message_id")
		wantField(t, db.FinishTurn(ctx, rag.Message{ID: tr.UserMessageID, Status: rag.StatusComplete}), rag.ErrNotFound, "message_id")
		wantField(t, db.FinishTurn(ctx, rag.Message{ID: tr.AssistantMessageID, Status: "done"}), rag.ErrInvalid, "status")
		wantField(t, db.FinishTurn(ctx, rag.Message{ID: tr.AssistantMessageID}), rag.ErrInvalid, "status")
	})
}

func TestMarkInterrupted(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		done := turn(t, db, "", "finished")
		var open []rag.Turn
		for _, conv := range []string{done.ConversationID, ""} {
			tr, err := db.BeginTurn(ctx, "", conv, "cut short", "r")
			if err != nil {
				t.Fatal(err)
			}
			open = append(open, tr)
		}
		// A run still live on another instance keeps its placeholder.
		live, err := db.BeginTurn(ctx, "", "", "still running elsewhere", "live-run")
		if err != nil {
			t.Fatal(err)
		}
		isLive := func(runID string) bool { return runID == "live-run" }
		if n, err := db.MarkInterrupted(ctx, isLive); err != nil || n != 2 {
			t.Fatalf("MarkInterrupted = %d, %v; want 2", n, err)
		}
		if _, msgs, _ := db.Conversation(ctx, live.ConversationID); msgs[len(msgs)-1].Status != rag.StatusStreaming {
			t.Errorf("the live run's placeholder = %+v, want still streaming", msgs[len(msgs)-1])
		}
		if n, err := db.MarkInterrupted(ctx, isLive); err != nil || n != 0 {
			t.Fatalf("second MarkInterrupted = %d, %v; want 0", n, err)
		}
		if n, err := db.MarkInterrupted(ctx, nil); err != nil || n != 1 {
			t.Fatalf("MarkInterrupted without live runs = %d, %v; want 1 (the live run's)", n, err)
		}
		for _, tr := range open {
			_, msgs, err := db.Conversation(ctx, tr.ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			last := msgs[len(msgs)-1]
			if last.ID != tr.AssistantMessageID || last.Status != rag.StatusError || last.FinishReason != store.FinishInterrupted {
				t.Errorf("placeholder = %+v, want status error, finish reason %q", last, store.FinishInterrupted)
			}
		}
		_, msgs, _ := db.Conversation(ctx, done.ConversationID)
		if msgs[1].Status != rag.StatusComplete {
			t.Errorf("a finished message was touched: %+v", msgs[1])
		}
	})
}

func TestListAndDeleteConversations(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ids []string
		for i := range 5 {
			ids = append(ids, turn(t, db, "", fmt.Sprint("question ", i)).ConversationID)
		}
		// Activity moves the oldest conversation to the top.
		turn(t, db, ids[0], "follow-up")

		list := func(limit int) (titles []string, pages int) {
			cursor := ""
			for {
				page, next, err := db.ListConversations(ctx, "", cursor, limit)
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range page {
					titles = append(titles, c.Title)
					if i > 0 && c.UpdatedAt.After(page[i-1].UpdatedAt) {
						t.Errorf("page not newest first: %v", page)
					}
				}
				pages++
				if next == "" {
					return titles, pages
				}
				cursor = next
			}
		}
		titles, pages := list(2)
		// Updates in one microsecond could tie; the order of equal times is by id, so
		// check the set and the first element rather than an exact sequence.
		if pages != 3 || len(titles) != 5 || titles[0] != "question 0" {
			t.Errorf("listed %v in %d pages; want 5 titles, question 0 first, 3 pages", titles, pages)
		}
		if all, _ := list(0); strings.Join(all, "|") != strings.Join(titles, "|") {
			t.Errorf("one page %v differs from pages %v", all, titles)
		}
		for _, bad := range []string{"%%%", "YzowMTp4", "YzotMTp4", "YzoxOg", docCursor(t, db)} {
			_, _, err := db.ListConversations(ctx, "", bad, 2)
			wantField(t, err, rag.ErrInvalid, "cursor")
		}

		if err := db.DeleteConversation(ctx, ids[2]); err != nil {
			t.Fatal(err)
		}
		_, _, err := db.Conversation(ctx, ids[2])
		wantField(t, err, rag.ErrNotFound, "id")
		wantField(t, db.DeleteConversation(ctx, ids[2]), rag.ErrNotFound, "id")
		_, err = db.BeginTurn(ctx, "", ids[2], "still there?", "r")
		wantField(t, err, rag.ErrNotFound, "conversation_id")
		if titles, _ := list(10); len(titles) != 4 {
			t.Errorf("%d conversations after delete, want 4", len(titles))
		}
	})
}

// docCursor returns a valid cursor of the document list.
func docCursor(t *testing.T, db *store.DB) string {
	t.Helper()
	for i := range 2 {
		mustSave(t, db, rag.Document{Title: "c", Text: fmt.Sprint("cursor doc ", i)}, nil, store.Created)
	}
	_, next, err := db.ListDocuments(context.Background(), "", 1)
	if err != nil || next == "" {
		t.Fatalf("ListDocuments = %q, %v; want a next cursor", next, err)
	}
	return next
}

// TestBeginTurnConcurrent starts turns of one conversation at once: each
// must get its own two adjacent messages.
func TestBeginTurnConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		id := turn(t, db, "", "first").ConversationID
		const n = 8
		turns := make([]rag.Turn, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { turns[i], errs[i] = db.BeginTurn(ctx, "", id, fmt.Sprint("q", i), fmt.Sprint("r", i)) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("BeginTurn %d: %v", i, err)
			}
		}
		_, msgs, err := db.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2+2*n {
			t.Fatalf("%d messages, want %d", len(msgs), 2+2*n)
		}
		at := make(map[string]int, len(msgs))
		for i, m := range msgs {
			at[m.ID] = i
			if wantRole := []rag.Role{rag.RoleUser, rag.RoleAssistant}[i%2]; m.Role != wantRole {
				t.Errorf("message %d is %s, want %s", i, m.Role, wantRole)
			}
		}
		for i, tr := range turns {
			u, a := at[tr.UserMessageID], at[tr.AssistantMessageID]
			if a != u+1 || msgs[u].Content != fmt.Sprint("q", i) || len(tr.History) != u {
				t.Errorf("turn %d: user at %d, assistant at %d, history %d; want adjacent, history = all before", i, u, a, len(tr.History))
			}
		}
	})
}
