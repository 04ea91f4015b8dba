//go:build !js

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "ragchat/api/v1"
	"ragchat/internal/fakellm"
	"ragchat/search/elastic/estest"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the real server (run, with the serve command) on a free
// local port, with a fake OpenAI-compatible LLM as its generator unless env
// says otherwise, and a fresh data directory unless env names one. It
// returns the base URL and the fake LLM; both stop when the test ends.
func startServer(t testing.TB, env map[string]string) (baseURL string, llm *fakellm.Server) {
	t.Helper()
	baseURL, llm, _ = startStoppableServer(t, env)
	return baseURL, llm
}

// startStoppableServer is startServer that also returns a function that
// stops the server (as SIGTERM would) and waits until run has returned.
func startStoppableServer(t testing.TB, env map[string]string) (baseURL string, llm *fakellm.Server, stop func()) {
	t.Helper()
	llm = fakellm.New(fakellm.Options{})
	t.Cleanup(llm.Close)
	vars := map[string]string{
		"RAGCHAT_ADDR":             "127.0.0.1:0",
		"RAGCHAT_DATA_DIR":         t.TempDir(),
		"RAGCHAT_GENERATOR":        "openai",
		"RAGCHAT_OPENAI_BASE_URL":  llm.URL(),
		"RAGCHAT_CHAT_MODEL":       "fake-model",
		"RAGCHAT_EXTRACTIVE_DELAY": "0s",
		"RAGCHAT_LOG_LEVEL":        "warn",
	}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"serve"}, func(k string) string { return vars[k] }, &stdout, &stderr)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("server: %v\nstderr:\n%s", err, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Errorf("server did not stop within 15s")
			}
		})
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			t.Fatalf("server exited: %v\nstderr:\n%s", err, stderr.String())
		default:
		}
		if out := stdout.String(); strings.Contains(out, "listening on ") {
			line := out[strings.Index(out, "listening on ")+len("listening on "):]
			baseURL = strings.Fields(line)[0]
			return baseURL, llm, stop
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server did not start\nstderr:\n%s", stderr.String())
	return "", nil, nil
}

type wireEvent struct {
	ID      string
	Type    string
	Content json.RawMessage
}

// readSSE reads events until the stream ends or stop returns true.
func readSSE(t testing.TB, body io.Reader, stop func(wireEvent) bool) []wireEvent {
	t.Helper()
	var out []wireEvent
	sc := bufio.NewScanner(body)
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" && data != "":
			var e v1.Event
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				t.Fatalf("data %q: %v", data, err)
			}
			ev := wireEvent{ID: id, Type: e.Type, Content: e.Content}
			out = append(out, ev)
			id, data = "", ""
			if stop != nil && stop(ev) {
				return out
			}
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case strings.HasPrefix(line, "event:"):
			t.Fatalf("the stream must not name events: %q", line)
		}
	}
	return out
}

func streamGet(t testing.TB, base, message string, extra url.Values, header http.Header) *http.Response {
	t.Helper()
	q := url.Values{"message": {message}}
	for k, v := range extra {
		q[k] = v
	}
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/chat/stream?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func answerText(evs []wireEvent) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == v1.TypeToken {
			var s string
			json.Unmarshal(e.Content, &s)
			b.WriteString(s)
		}
	}
	return b.String()
}

func contentOf[T any](t testing.TB, e wireEvent) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(e.Content, &v); err != nil {
		t.Fatalf("%s content %s: %v", e.Type, e.Content, err)
	}
	return v
}

func TestE2EStreamWithLLM(t *testing.T) {
	base, llm := startServer(t, nil)
	resp := streamGet(t, base, "What is SSE and why did ragchat choose it?", nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	evs := readSSE(t, resp.Body, nil)
	var types []string
	for _, e := range evs {
		if len(types) == 0 || types[len(types)-1] != e.Type || e.Type != "token" {
			types = append(types, e.Type)
		}
	}
	if got := strings.Join(types, ","); got != "start,status,sources,status,token,done" {
		t.Fatalf("event types %s", got)
	}
	if st := contentOf[v1.Status](t, evs[1]); st.Stage != "retrieving" || st.Text != "Searching documents..." {
		t.Errorf("status = %+v", st)
	}
	sources := contentOf[[]v1.Source](t, evs[2])
	if len(sources) == 0 || sources[0].N != 1 || sources[0].Title == "" || sources[0].Snippet == "" {
		t.Fatalf("sources = %+v", sources)
	}
	answer := answerText(evs)
	if !strings.Contains(answer, "[1]") {
		t.Errorf("answer does not cite: %q", answer)
	}
	done := contentOf[v1.Done](t, evs[len(evs)-1])
	if done.FinishReason != "stop" || len(done.Cited) == 0 || done.Cited[0] != 1 || done.Model == "" {
		t.Errorf("done = %+v", done)
	}
	if llm.Calls() != 1 {
		t.Errorf("LLM called %d times", llm.Calls())
	}
	// The prompt carried the numbered sources.
	reqs := llm.Requests()
	last := reqs[0].Messages[len(reqs[0].Messages)-1].Content
	if !strings.Contains(last, "[1]") || !strings.Contains(last, sources[0].Title) {
		t.Errorf("prompt lacks numbered sources:\n%s", last)
	}
}

func TestE2ERESTAndConversation(t *testing.T) {
	base, llm := startServer(t, nil)
	resp, err := http.Post(base+"/api/v1/chat", "application/json", strings.NewReader(`{"message":"How do I configure Ollama?"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out v1.ChatResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response == "" || len(out.Sources) == 0 || out.FinishReason != "stop" {
		t.Fatalf("response = %+v", out)
	}
	// The conversation holds both turns, the answer complete with sources.
	cresp, err := http.Get(base + "/api/v1/conversations/" + out.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	defer cresp.Body.Close()
	var conv v1.ConversationDetail
	json.NewDecoder(cresp.Body).Decode(&conv)
	if len(conv.Messages) != 2 || conv.Messages[1].Content != out.Response || conv.Messages[1].Status != "complete" || len(conv.Messages[1].Sources) == 0 {
		t.Errorf("conversation = %+v", conv)
	}
	// A follow-up in the same conversation is rewritten by the LLM into a
	// standalone query (the first LLM call), which retrieval uses and done shows.
	llm.QueueScripts(fakellm.Script{Tokens: []string{"Ollama chat model ", "name configuration"}})
	f := streamGet(t, base, "And which model name do I use?", url.Values{"conversation_id": {out.ConversationID}}, nil)
	evs := readSSE(t, f.Body, nil)
	if start := contentOf[v1.Start](t, evs[0]); start.ConversationID != out.ConversationID {
		t.Errorf("follow-up went to conversation %s", start.ConversationID)
	}
	if done := contentOf[v1.Done](t, evs[len(evs)-1]); done.SearchQuery != "Ollama chat model name configuration" {
		t.Errorf("search query %q, want the LLM's rewrite", done.SearchQuery)
	}
	reqs := llm.Requests()
	if rewrite := reqs[len(reqs)-2].Messages; !strings.Contains(rewrite[len(rewrite)-1].Content, "How do I configure Ollama?") {
		t.Errorf("the rewrite prompt lacks the earlier question: %+v", rewrite)
	}
}

func TestE2EKorean(t *testing.T) {
	base, _ := startServer(t, map[string]string{"RAGCHAT_GENERATOR": "extractive"})
	evs := readSSE(t, streamGet(t, base, "SSE가 무엇인가요?", nil, nil).Body, nil)
	if st := contentOf[v1.Status](t, evs[1]); st.Text != "문서 검색 중..." {
		t.Errorf("status = %q", st.Text)
	}
	if st := contentOf[v1.Status](t, evs[3]); st.Text != "답변 생성 중..." {
		t.Errorf("status = %q", st.Text)
	}
	sources := contentOf[[]v1.Source](t, evs[2])
	if len(sources) == 0 || !hasHangul(sources[0].Title) {
		t.Errorf("first source is not a Korean document: %+v", sources)
	}
	answer := answerText(evs)
	if !hasHangul(answer) || !strings.Contains(answer, "[1]") {
		t.Errorf("answer = %q", answer)
	}
	done := contentOf[v1.Done](t, evs[len(evs)-1])
	if !strings.Contains(done.Model, "not an LLM") {
		t.Errorf("the offline answerer must say it is not an LLM: model %q", done.Model)
	}
}

func hasHangul(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 {
			return true
		}
	}
	return false
}

// TestE2EDisconnectAndStopReachLLM: a client that goes away leaves the run
// going for the grace period, then the upstream request is cancelled; stop
// cancels it at once.
func TestE2EDisconnectAndStopReachLLM(t *testing.T) {
	base, llm := startServer(t, map[string]string{"RAGCHAT_RUN_GRACE": "200ms"})
	llm.SetScript(fakellm.Script{Tokens: []string{"a ", "b ", "c "}, Break: fakellm.BreakHang, BreakAfter: 2})

	resp := streamGet(t, base, "What is SSE?", nil, nil)
	readSSE(t, resp.Body, func(e wireEvent) bool { return e.Type == "token" })
	resp.Body.Close()
	select {
	case <-llm.Ended():
	case <-time.After(5 * time.Second):
		t.Fatal("the LLM request was not cancelled after the client left and the grace period passed")
	}

	resp2 := streamGet(t, base, "What is SSE?", nil, nil)
	tokens := 0
	evs := readSSE(t, resp2.Body, func(e wireEvent) bool {
		if e.Type == "token" {
			tokens++
		}
		return tokens == 2 // the fake LLM hangs after two tokens
	})
	runID := contentOf[v1.Start](t, evs[0]).RunID
	gone := llm.Gone()
	stop, err := http.Post(base+"/api/v1/chat/runs/"+runID+"/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	stop.Body.Close()
	rest := readSSE(t, resp2.Body, nil)
	done := contentOf[v1.Done](t, rest[len(rest)-1])
	if done.FinishReason != "stopped" {
		t.Errorf("finish_reason %q", done.FinishReason)
	}
	waitFor(t, func() bool { return llm.Gone() > gone }, "stop did not cancel the LLM request")
	if got := answerText(append(evs, rest...)); got != "a b " {
		t.Errorf("partial answer %q", got)
	}
}

func waitFor(t testing.TB, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestE2ELLMFailures(t *testing.T) {
	base, llm := startServer(t, map[string]string{"RAGCHAT_LLM_IDLE_TIMEOUT": "300ms", "RAGCHAT_LLM_FIRST_TOKEN_TIMEOUT": "300ms"})
	tests := []struct {
		name       string
		script     fakellm.Script
		code       string
		retryable  bool
		restStatus int
	}{
		{"503 before the first token", fakellm.Script{FailStatus: 503}, "upstream_unavailable", true, 503},
		{"429 rate limited", fakellm.Script{FailStatus: 429}, "upstream_unavailable", true, 503},
		{"401 bad key", fakellm.Script{FailStatus: 401}, "upstream_error", false, 502},
		{"error mid-stream", fakellm.Script{Tokens: []string{"a", "b", "c"}, Break: fakellm.BreakError, BreakAfter: 2}, "upstream_error", false, 502},
		{"truncated stream", fakellm.Script{Tokens: []string{"a", "b", "c"}, Break: fakellm.BreakTruncate, BreakAfter: 2}, "upstream_interrupted", true, 502},
		{"connection cut mid-answer", fakellm.Script{Tokens: []string{"a", "b", "c"}, Break: fakellm.BreakCut, BreakAfter: 2}, "upstream_interrupted", true, 502},
		{"never answers", fakellm.Script{Tokens: []string{"a"}, Break: fakellm.BreakHang, BreakAfter: 0}, "upstream_timeout", true, 504},
		{"stalls mid-stream", fakellm.Script{Tokens: []string{"a", "b"}, Break: fakellm.BreakHang, BreakAfter: 1}, "upstream_timeout", true, 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			llm.SetScript(tt.script)
			evs := readSSE(t, streamGet(t, base, "What is SSE?", nil, nil).Body, nil)
			last := evs[len(evs)-1]
			if last.Type != "error" {
				t.Fatalf("last event %s %s", last.Type, last.Content)
			}
			e := contentOf[v1.Error](t, last)
			if e.Code != tt.code || e.Retryable != tt.retryable || e.Message == "" {
				t.Errorf("error = %+v, want %s retryable=%v", e, tt.code, tt.retryable)
			}
			resp, err := http.Post(base+"/api/v1/chat", "application/json", strings.NewReader(`{"message":"What is SSE?"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.restStatus || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("REST: %d %s, want %d problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), tt.restStatus)
			}
		})
	}
}

// TestE2EInterruptedKeepsPartial: a stream the model cut off mid-answer ends
// the run with upstream_interrupted (retryable, with its own message), and
// the conversation keeps the text so far as a message with status error.
func TestE2EInterruptedKeepsPartial(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: []string{"SSE ", "streams ", "events."}, Break: fakellm.BreakCut, BreakAfter: 2})
	evs := readSSE(t, streamGet(t, base, "What is SSE?", nil, nil).Body, nil)
	convID := contentOf[v1.Start](t, evs[0]).ConversationID
	last := evs[len(evs)-1]
	e := contentOf[v1.Error](t, last)
	if last.Type != "error" || e.Code != "upstream_interrupted" || !e.Retryable || !strings.Contains(e.Message, "lost") {
		t.Fatalf("last event %s %+v, want a retryable upstream_interrupted error", last.Type, e)
	}
	resp, err := http.Get(base + "/api/v1/conversations/" + convID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var conv v1.ConversationDetail
	if err := json.NewDecoder(resp.Body).Decode(&conv); err != nil {
		t.Fatal(err)
	}
	if n := len(conv.Messages); n != 2 || conv.Messages[1].Status != "error" || conv.Messages[1].Content != "SSE streams " {
		t.Errorf("conversation messages %+v, want the question and the partial answer with status error", conv.Messages)
	}
}

func TestE2EResumeWithLastEventID(t *testing.T) {
	base, llm := startServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: []string{"one ", "two ", "three ", "four ", "five [1]."}, TokenDelay: 5 * time.Millisecond})
	resp := streamGet(t, base, "What is SSE?", nil, nil)
	first := readSSE(t, resp.Body, func(e wireEvent) bool { return e.Type == "token" })
	resp.Body.Close()
	resp2 := streamGet(t, base, "What is SSE?", nil, http.Header{"Last-Event-ID": {first[len(first)-1].ID}})
	rest := readSSE(t, resp2.Body, nil)
	if got := answerText(first) + answerText(rest); got != "one two three four five [1]." {
		t.Errorf("resumed answer %q", got)
	}
	if llm.Calls() != 1 {
		t.Errorf("LLM called %d times", llm.Calls())
	}
	all := append(first, rest...)
	resp3 := streamGet(t, base, "What is SSE?", nil, http.Header{"Last-Event-ID": {all[len(all)-1].ID}})
	if resp3.StatusCode != http.StatusNoContent {
		t.Errorf("reconnect after done: %d", resp3.StatusCode)
	}
}

func TestE2EServiceEndpoints(t *testing.T) {
	base, _ := startServer(t, nil)
	get := func(path string) (int, string, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, body := get(path); code != 200 || !strings.Contains(body, `"ok"`) {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
	if _, _, body := get("/openapi.json"); !strings.Contains(body, `"openapi":"3.1.0"`) && !strings.Contains(body, `"openapi": "3.1.0"`) {
		t.Errorf("/openapi.json is not 3.1: %.200s", body)
	}
	if _, _, body := get("/openapi-3.0.json"); !strings.Contains(body, `"openapi":"3.0.3"`) {
		t.Errorf("/openapi-3.0.json is not 3.0.3: %.200s", body)
	}
	code, _, page := get("/docs/")
	if code != 200 || !strings.Contains(page, "swagger") {
		t.Fatalf("/docs/: %d %.200s", code, page)
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//`).FindString(page); m != "" {
		t.Errorf("/docs/ loads something from another host: %q", m)
	}
	if code, _, _ := get("/docs/swagger-ui-bundle.js"); code != 200 {
		t.Errorf("swagger bundle: %d", code)
	}
	// Ask once so the run metrics have a sample.
	readSSE(t, streamGet(t, base, "What is SSE?", nil, nil).Body, nil)
	_, _, metrics := get("/metrics")
	for _, m := range []string{"ragchat_first_event_seconds", "ragchat_first_token_seconds", "ragchat_retrieval_seconds", "ragchat_active_streams", "ragchat_stream_resumes_total", "ragchat_run_stops_total", "ragchat_run_errors_total"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

func TestE2ERestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"RAGCHAT_DATA_DIR": dir, "RAGCHAT_GENERATOR": "extractive"}
	var convID string
	var docs1 int
	t.Run("first start", func(t *testing.T) {
		base, _ := startServer(t, env)
		evs := readSSE(t, streamGet(t, base, "What is SSE?", nil, nil).Body, nil)
		convID = contentOf[v1.Start](t, evs[0]).ConversationID
		docs1 = countDocuments(t, base)
		if docs1 == 0 {
			t.Fatal("the sample corpus was not ingested")
		}
	})
	t.Run("second start", func(t *testing.T) {
		base, _ := startServer(t, env)
		if n := countDocuments(t, base); n != docs1 {
			t.Errorf("documents after restart: %d, want %d", n, docs1)
		}
		resp, err := http.Get(base + "/api/v1/conversations/" + convID)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("conversation lost after restart: %d", resp.StatusCode)
		}
		evs := readSSE(t, streamGet(t, base, "What is SSE?", nil, nil).Body, nil)
		if len(contentOf[[]v1.Source](t, evs[2])) == 0 {
			t.Error("no sources after restart: the index was not kept")
		}
	})
}

func countDocuments(t *testing.T, base string) int {
	t.Helper()
	n := 0
	cursor := ""
	for {
		resp, err := http.Get(base + "/api/v1/documents?limit=100&cursor=" + url.QueryEscape(cursor))
		if err != nil {
			t.Fatal(err)
		}
		var list v1.DocumentList
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		n += len(list.Documents)
		if list.NextCursor == "" {
			return n
		}
		cursor = list.NextCursor
	}
}

// TestE2EElasticsearch runs the server with RAGCHAT_SEARCH=elastic against
// the Elasticsearch stand-in: the sample corpus is indexed there and the
// sample questions are answered from it, in both languages.
func TestE2EElasticsearch(t *testing.T) {
	es := estest.NewServer(estest.Options{})
	t.Cleanup(es.Close)
	base, _ := startServer(t, map[string]string{
		"RAGCHAT_SEARCH":       "elastic",
		"RAGCHAT_ELASTIC_URLS": es.URL,
		"RAGCHAT_GENERATOR":    "extractive",
	})
	for _, q := range []struct{ question, wantTitle string }{
		{"What is SSE?", "Server-Sent Events"},
		{"SSE가 무엇인가요?", "SSE"},
	} {
		evs := readSSE(t, streamGet(t, base, q.question, nil, nil).Body, nil)
		sources := contentOf[[]v1.Source](t, evs[2])
		if len(sources) == 0 || !strings.Contains(sources[0].Title, q.wantTitle) {
			t.Errorf("%s: sources %+v", q.question, sources)
		}
		if evs[len(evs)-1].Type != "done" || !strings.Contains(answerText(evs), "[1]") {
			t.Errorf("%s: answer %q", q.question, answerText(evs))
		}
	}
	if n := len(es.RequestsTo("POST", "/_msearch")); n < 2 {
		t.Errorf("%d _msearch requests reached the stand-in", n)
	}
	if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("readyz: %v %v", resp, err)
	}
	es.Close()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the cluster gone: %d", resp.StatusCode)
	}
}

// TestE2EShutdownEndsStreams: on shutdown an open stream gets its run's
// final event, an error saying the server is restarting, and ends. (That
// serve also waits for the event to be written before the process exits
// is not visible in-process.)
func TestE2EShutdownEndsStreams(t *testing.T) {
	base, llm, stop := startStoppableServer(t, nil)
	llm.SetScript(fakellm.Script{Tokens: []string{"partial ", "answer"}, Break: fakellm.BreakHang, BreakAfter: 1})
	resp := streamGet(t, base, "What is SSE?", nil, nil)
	readSSE(t, resp.Body, func(e wireEvent) bool { return e.Type == "token" })
	stop()
	rest := readSSE(t, resp.Body, nil)
	if len(rest) == 0 || rest[len(rest)-1].Type != "error" {
		t.Fatalf("after shutdown the stream got %+v", rest)
	}
	if e := contentOf[v1.Error](t, rest[len(rest)-1]); e.Code != "cancelled" || !e.Retryable {
		t.Errorf("error = %+v", e)
	}
}
