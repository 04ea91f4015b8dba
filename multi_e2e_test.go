//go:build !js

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	v1 "ragchat/api/v1"
	"ragchat/internal/fakellm"
	"ragchat/store"
	"ragchat/store/storetest"
)

// EnvRedisURL names the Redis the multi-instance tests share runs through.
const EnvRedisURL = "RAGCHAT_TEST_REDIS_URL"

// twoInstances starts two servers on one PostgreSQL database and one Redis,
// as two instances behind a load balancer. Each has its own data directory
// (and embedded index, rebuilt from the shared database).
func twoInstances(t *testing.T) (a, b string, llmA *fakellm.Server) {
	t.Helper()
	redisURL := os.Getenv(EnvRedisURL)
	if redisURL == "" {
		t.Skipf("%s is not set; skipping the multi-instance tests (e.g. %s=redis://127.0.0.1:6379/0)", EnvRedisURL, EnvRedisURL)
	}
	db := storetest.URL(t, store.Postgres)
	env := map[string]string{"RAGCHAT_DATABASE_URL": db, "RAGCHAT_REDIS_URL": redisURL, "RAGCHAT_RUN_GRACE": "2s"}
	a, llmA = startServer(t, env)
	b, _ = startServer(t, env)
	return a, b, llmA
}

// TestE2EResumeOnAnotherInstance: a stream cut on instance a is resumed on
// instance b with Last-Event-ID; the answer arrives whole, once, from the
// one LLM call a made.
func TestE2EResumeOnAnotherInstance(t *testing.T) {
	a, b, llm := twoInstances(t)
	llm.SetScript(fakellm.Script{Tokens: []string{"one ", "two ", "three ", "four ", "five [1]."}, TokenDelay: 20 * time.Millisecond})
	resp := streamGet(t, a, "What is SSE?", nil, nil)
	first := readSSE(t, resp.Body, func(e wireEvent) bool { return e.Type == "token" })
	resp.Body.Close()

	resp2 := streamGet(t, b, "What is SSE?", nil, http.Header{"Last-Event-ID": {first[len(first)-1].ID}})
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("resume on b: %d", resp2.StatusCode)
	}
	rest := readSSE(t, resp2.Body, nil)
	if got := answerText(first) + answerText(rest); got != "one two three four five [1]." {
		t.Errorf("answer resumed on b = %q", got)
	}
	if last := rest[len(rest)-1]; last.Type != v1.TypeDone {
		t.Errorf("b's stream ended with %s", last.Type)
	}
	if llm.Calls() != 1 {
		t.Errorf("LLM called %d times, want 1", llm.Calls())
	}
	// The run's events, also over b's run endpoint, carry a's ids.
	runID := contentOf[v1.Start](t, first[0]).RunID
	resp3, err := http.Get(b + "/api/v1/chat/runs/" + runID + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp3.Body.Close()
	all := readSSE(t, resp3.Body, nil)
	if len(all) != len(first)+len(rest) || all[0].ID != first[0].ID {
		t.Errorf("b's events endpoint: %d events starting %q; want %d starting %q", len(all), all[0].ID, len(first)+len(rest), first[0].ID)
	}
	// The stored answer is complete, seen from either instance.
	for _, base := range []string{a, b} {
		waitFor(t, func() bool {
			return conversationStatus(t, base, contentOf[v1.Start](t, first[0]).ConversationID) == "complete"
		},
			"the answer is not stored as complete on "+base)
	}
}

// TestE2EStopOnAnotherInstance: a stop sent to instance b ends the run
// instance a is generating, and cancels a's LLM request.
func TestE2EStopOnAnotherInstance(t *testing.T) {
	a, b, llm := twoInstances(t)
	llm.SetScript(fakellm.Script{Tokens: []string{"a ", "b ", "c "}, Break: fakellm.BreakHang, BreakAfter: 2})
	resp := streamGet(t, a, "What is SSE?", nil, nil)
	tokens := 0
	evs := readSSE(t, resp.Body, func(e wireEvent) bool {
		if e.Type == "token" {
			tokens++
		}
		return tokens == 2
	})
	runID := contentOf[v1.Start](t, evs[0]).RunID
	gone := llm.Gone()
	stop, err := http.Post(b+"/api/v1/chat/runs/"+runID+"/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	stop.Body.Close()
	if stop.StatusCode >= 300 {
		t.Fatalf("stop on b: %d", stop.StatusCode)
	}
	rest := readSSE(t, resp.Body, nil)
	done := contentOf[v1.Done](t, rest[len(rest)-1])
	if done.FinishReason != "stopped" {
		t.Errorf("finish_reason %q, want stopped", done.FinishReason)
	}
	waitFor(t, func() bool { return llm.Gone() > gone }, "a stop sent to b did not cancel a's LLM request")
}

// conversationStatus returns the status of a conversation's last message.
func conversationStatus(t *testing.T, base, convID string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/conversations/" + convID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var conv v1.ConversationDetail
	if err := json.NewDecoder(resp.Body).Decode(&conv); err != nil || len(conv.Messages) == 0 {
		return ""
	}
	return conv.Messages[len(conv.Messages)-1].Status
}
