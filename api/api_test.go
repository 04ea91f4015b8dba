package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ragchat/api"
	v1 "ragchat/api/v1"
	"ragchat/rag"
	"ragchat/rag/ragtest"
)

type genFunc = func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error)

type testServer struct {
	URL    string
	client *http.Client
	gen    *ragtest.Generator
	convs  *convStore
	runner *rag.Runner
}

// convStore adds the read side of conversations to the ragtest fake.
type convStore struct {
	ragtest.Conversations
}

func (c *convStore) ListConversations(context.Context, string, string, int) ([]rag.Conversation, string, error) {
	return nil, "", nil
}
func (c *convStore) Conversation(_ context.Context, id string) (rag.Conversation, []rag.Message, error) {
	return rag.Conversation{}, nil, rag.NotFound("id", "no conversation %q", id)
}
func (c *convStore) DeleteConversation(_ context.Context, id string) error {
	return rag.NotFound("id", "no conversation %q", id)
}

func newServer(t *testing.T, gen genFunc, rcfg rag.RunnerConfig, cfg api.Config) *testServer {
	return newServerWith(t, gen, rcfg, cfg, httptest.NewServer)
}

func newServerWith(t *testing.T, gen genFunc, rcfg rag.RunnerConfig, cfg api.Config, start func(http.Handler) *httptest.Server) *testServer {
	t.Helper()
	ts := &testServer{gen: &ragtest.Generator{Func: gen}, convs: &convStore{}}
	store := &ragtest.Store{}
	store.Index(context.Background(), []rag.Chunk{
		{ID: "d1#0", DocumentID: "d1", Title: "SSE", Text: "SSE streams events from server to client over HTTP."},
	})
	p := &rag.Pipeline{Store: store, Embedder: &ragtest.Embedder{}, Generator: ts.gen}
	ts.runner = rag.NewRunner(p, ts.convs, rcfg)
	mux := http.NewServeMux()
	api.New(mux, api.Deps{Runs: ts.runner, Conversations: ts.convs}, cfg)
	srv := start(mux)
	ts.client = srv.Client()
	t.Cleanup(func() {
		ts.runner.Close()
		srv.Close()
	})
	ts.URL = srv.URL
	return ts
}

type event struct {
	ID      string
	Type    string
	Content json.RawMessage
}

// readEvents reads SSE events until the stream ends or n events were read
// (n <= 0: all). Comment lines are counted in pings.
func readEvents(t *testing.T, body io.Reader, n int) (evs []event, pings int) {
	t.Helper()
	sc := bufio.NewScanner(body)
	var id, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != "" {
				var e v1.Event
				if err := json.Unmarshal([]byte(data), &e); err != nil {
					t.Fatalf("bad data %q: %v", data, err)
				}
				evs = append(evs, event{ID: id, Type: e.Type, Content: e.Content})
				if n > 0 && len(evs) == n {
					return evs, pings
				}
			}
			id, data = "", ""
		case strings.HasPrefix(line, ": "):
			pings++
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		case strings.HasPrefix(line, "retry: "):
		default:
			t.Fatalf("unexpected line %q (event names must not be sent)", line)
		}
	}
	return evs, pings
}

func tokensOf(evs []event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == "token" {
			var s string
			json.Unmarshal(e.Content, &s)
			b.WriteString(s)
		}
	}
	return b.String()
}

func get(t *testing.T, u string, header map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func streamURL(base, msg string) string {
	return base + "/api/v1/chat/stream?message=" + url.QueryEscape(msg)
}

func TestStreamGET(t *testing.T) {
	ts := newServer(t, ragtest.Tokens("SSE ", "streams [1]."), rag.RunnerConfig{}, api.Config{})
	resp := get(t, streamURL(ts.URL, "What is SSE?"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for h, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	evs, _ := readEvents(t, resp.Body, 0)
	var got []string
	for _, e := range evs {
		got = append(got, e.Type)
	}
	if strings.Join(got, ",") != "start,status,sources,status,token,token,done" {
		t.Fatalf("types = %v", got)
	}
	var start v1.Start
	json.Unmarshal(evs[0].Content, &start)
	for i, e := range evs {
		if want := start.RunID + ":" + strconv.Itoa(i+1); e.ID != want {
			t.Errorf("event %d id %q, want %q", i, e.ID, want)
		}
	}
	var done v1.Done
	json.Unmarshal(evs[len(evs)-1].Content, &done)
	if done.FinishReason != "stop" || len(done.Cited) != 1 {
		t.Errorf("done = %+v", done)
	}
	if tokensOf(evs) != "SSE streams [1]." {
		t.Errorf("tokens = %q", tokensOf(evs))
	}
}

// TestStreamResume drops the connection after k events and reconnects the
// way EventSource does (same URL, Last-Event-ID): the run continues, no
// token is lost or repeated, the generator runs once.
func TestStreamResume(t *testing.T) {
	toks := []string{"one ", "two ", "three ", "four."}
	for cut := 1; cut <= 7; cut++ {
		ts := newServer(t, ragtest.Tokens(toks...), rag.RunnerConfig{}, api.Config{})
		u := streamURL(ts.URL, "What is SSE?")
		resp := get(t, u, nil)
		first, _ := readEvents(t, resp.Body, cut)
		resp.Body.Close()
		last := first[len(first)-1].ID
		resp2 := get(t, u, map[string]string{"Last-Event-ID": last})
		if resp2.StatusCode != 200 {
			t.Fatalf("cut %d: resume status %d", cut, resp2.StatusCode)
		}
		rest, _ := readEvents(t, resp2.Body, 0)
		if got := tokensOf(first) + tokensOf(rest); got != strings.Join(toks, "") {
			t.Errorf("cut %d: tokens %q", cut, got)
		}
		if len(rest) > 0 && rest[0].ID == last {
			t.Errorf("cut %d: event %s delivered twice", cut, last)
		}
		if ts.gen.Calls() != 1 {
			t.Errorf("cut %d: generator called %d times", cut, ts.gen.Calls())
		}
		// After done, a reconnect gets 204.
		all := append(first, rest...)
		resp3 := get(t, u, map[string]string{"Last-Event-ID": all[len(all)-1].ID})
		if resp3.StatusCode != http.StatusNoContent {
			t.Errorf("cut %d: reconnect after done: status %d, want 204", cut, resp3.StatusCode)
		}
	}
}

func TestRunEventsEndpoint(t *testing.T) {
	ts := newServer(t, ragtest.Tokens("a", "b"), rag.RunnerConfig{}, api.Config{})
	resp := get(t, streamURL(ts.URL, "What is SSE?"), nil)
	evs, _ := readEvents(t, resp.Body, 0)
	var start v1.Start
	json.Unmarshal(evs[0].Content, &start)

	follow := get(t, ts.URL+"/api/v1/chat/runs/"+start.RunID+"/events?after=2", nil)
	rest, _ := readEvents(t, follow.Body, 0)
	if len(rest) != len(evs)-2 || rest[0].ID != evs[2].ID {
		t.Errorf("follow after 2: %d events from %s", len(rest), rest[0].ID)
	}
	if r := get(t, ts.URL+"/api/v1/chat/runs/"+start.RunID+"/events", map[string]string{"Last-Event-ID": "ffff:1"}); r.StatusCode != 422 {
		t.Errorf("Last-Event-ID of another run: %d", r.StatusCode)
	}
	if r := get(t, ts.URL+"/api/v1/chat/runs/0123456789abcdef01234567/events", nil); r.StatusCode != 404 {
		t.Errorf("unknown run: %d", r.StatusCode)
	}
}

type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, resp *http.Response) problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q", ct)
	}
	var p problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadInput(t *testing.T) {
	ts := newServer(t, ragtest.Tokens("x"), rag.RunnerConfig{MaxMessageChars: 20}, api.Config{MaxBodyBytes: 200})
	post := func(path, ctype, body string, header map[string]string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	tests := []struct {
		name     string
		resp     func() *http.Response
		status   int
		location string
	}{
		{"GET empty message", func() *http.Response { return get(t, ts.URL+"/api/v1/chat/stream?message=", nil) }, 422, "query.message"},
		{"GET whitespace message", func() *http.Response { return get(t, streamURL(ts.URL, "   "), nil) }, 422, "query.message"},
		{"GET too long", func() *http.Response { return get(t, streamURL(ts.URL, strings.Repeat("é", 21)), nil) }, 422, "query.message"},
		{"GET bad lang", func() *http.Response { return get(t, streamURL(ts.URL, "hi")+"&lang=fr", nil) }, 422, "query.lang"},
		{"GET unknown conversation", func() *http.Response { return get(t, streamURL(ts.URL, "hi")+"&conversation_id=nope", nil) }, 404, "query.conversation_id"},
		{"GET malformed Last-Event-ID", func() *http.Response {
			return get(t, streamURL(ts.URL, "hi"), map[string]string{"Last-Event-ID": "garbage"})
		}, 422, "header.Last-Event-ID"},
		{"GET unknown run in Last-Event-ID", func() *http.Response {
			return get(t, streamURL(ts.URL, "hi"), map[string]string{"Last-Event-ID": "abcdef:3"})
		}, 404, "header.Last-Event-ID"},
		{"POST whitespace", func() *http.Response { return post("/api/v1/chat", "application/json", `{"message":"  "}`, nil) }, 422, "body.message"},
		{"POST unknown field", func() *http.Response {
			return post("/api/v1/chat", "application/json", `{"message":"hi","foo":1}`, nil)
		}, 422, "body.foo"},
		{"POST wrong content type", func() *http.Response {
			return post("/api/v1/chat/stream", "application/x-www-form-urlencoded", `message=hi`, nil)
		}, 415, ""},
		{"POST too large", func() *http.Response {
			return post("/api/v1/chat", "application/json", `{"message":"`+strings.Repeat("a", 300)+`"}`, nil)
		}, 413, ""},
		{"POST broken JSON", func() *http.Response { return post("/api/v1/chat", "application/json", `{"message":`, nil) }, 400, ""},
		{"stop unknown run", func() *http.Response { return post("/api/v1/chat/runs/abcdef/stop", "", "", nil) }, 404, "path.run_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.resp()
			if resp.StatusCode != tt.status {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, b)
			}
			p := decodeProblem(t, resp)
			if tt.location == "" {
				return
			}
			for _, e := range p.Errors {
				if e.Location == tt.location {
					return
				}
			}
			t.Errorf("no error at %s in %+v", tt.location, p)
		})
	}
	if ts.gen.Calls() != 0 {
		t.Errorf("bad input reached the generator %d times", ts.gen.Calls())
	}
}

func TestRESTChat(t *testing.T) {
	ts := newServer(t, ragtest.Tokens("SSE ", "streams [1]."), rag.RunnerConfig{}, api.Config{})
	resp, err := http.Post(ts.URL+"/api/v1/chat", "application/json", strings.NewReader(`{"message":"What is SSE?"}`))
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
	if out.Response != "SSE streams [1]." || len(out.Sources) != 1 || out.Sources[0].N != 1 || out.FinishReason != "stop" || out.RunID == "" || out.ConversationID == "" {
		t.Errorf("response = %+v", out)
	}
}

// TestRESTChatAbandoned: a REST client that leaves before the answer is in
// (it cannot resume) stops the run at once: the generator is cancelled
// well within the grace period and the partial answer is stored as stopped.
func TestRESTChatAbandoned(t *testing.T) {
	ts := newServer(t, ragtest.TokensThenBlock("partial"), rag.RunnerConfig{Grace: time.Hour}, api.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+"/api/v1/chat", strings.NewReader(`{"message":"What is SSE?"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := ts.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for ts.gen.Calls() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	for ts.gen.Cancelled() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if ts.gen.Cancelled() != 1 {
		t.Fatal("the generator ran on after the REST client left")
	}
	msgs := ts.convs.FinishedMessages()
	for len(msgs) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		msgs = ts.convs.FinishedMessages()
	}
	if len(msgs) != 1 || msgs[0].Status != rag.StatusStopped || msgs[0].Content != "partial" {
		t.Errorf("stored %+v, want one answer, stopped with the partial text", msgs)
	}
}

func TestRESTChatUpstreamErrors(t *testing.T) {
	tests := []struct {
		err    error
		status int
	}{
		{rag.ErrUnavailable, 503},
		{rag.ErrUpstream, 502},
		{rag.ErrInterrupted, 502},
		{rag.ErrTimeout, 504},
	}
	for _, tt := range tests {
		ts := newServer(t, ragtest.TokensThenFail(tt.err, "partial"), rag.RunnerConfig{}, api.Config{})
		resp, err := http.Post(ts.URL+"/api/v1/chat", "application/json", strings.NewReader(`{"message":"What is SSE?"}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, resp.StatusCode, tt.status)
		}
		decodeProblem(t, resp)
		resp.Body.Close()
	}
}

func TestStopEndpoint(t *testing.T) {
	ts := newServer(t, ragtest.TokensThenBlock("partial ", "answer"), rag.RunnerConfig{}, api.Config{})
	resp := get(t, streamURL(ts.URL, "What is SSE?"), nil)
	evs, _ := readEvents(t, resp.Body, 6) // start, status, sources, status, 2 tokens
	var start v1.Start
	json.Unmarshal(evs[0].Content, &start)
	stop, err := http.Post(ts.URL+"/api/v1/chat/runs/"+start.RunID+"/stop", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Finished bool   `json:"finished"`
		Outcome  string `json:"outcome"`
	}
	json.NewDecoder(stop.Body).Decode(&out)
	stop.Body.Close()
	if !out.Finished || out.Outcome != "stopped" {
		t.Errorf("stop = %+v", out)
	}
	rest, _ := readEvents(t, resp.Body, 0)
	var done v1.Done
	if last := rest[len(rest)-1]; last.Type != "done" || json.Unmarshal(last.Content, &done) != nil || done.FinishReason != "stopped" {
		t.Errorf("last = %+v", rest[len(rest)-1])
	}
	if ts.gen.Cancelled() != 1 {
		t.Error("stop did not cancel the generator")
	}
	if tokensOf(append(evs, rest...)) != "partial answer" {
		t.Errorf("tokens = %q", tokensOf(append(evs, rest...)))
	}
}

// TestDisconnectCancelsAfterGrace: closing the stream does not cancel the
// run at once, but after the grace period the generator's context ends.
func TestDisconnectCancelsAfterGrace(t *testing.T) {
	starts := map[string]func(http.Handler) *httptest.Server{
		"http1 (connection taken over)": httptest.NewServer,
		"http2 (inside net/http)": func(h http.Handler) *httptest.Server {
			srv := httptest.NewUnstartedServer(h)
			srv.EnableHTTP2 = true
			srv.StartTLS()
			return srv
		},
	}
	for name, start := range starts {
		t.Run(name, func(t *testing.T) {
			ts := newServerWith(t, ragtest.TokensThenBlock("x"), rag.RunnerConfig{Grace: 50 * time.Millisecond}, api.Config{}, start)
			resp, err := ts.client.Get(streamURL(ts.URL, "What is SSE?"))
			if err != nil {
				t.Fatal(err)
			}
			evs, _ := readEvents(t, resp.Body, 5)
			var st v1.Start
			json.Unmarshal(evs[0].Content, &st)
			resp.Body.Close()
			run, err := ts.runner.Get(context.Background(), st.RunID)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := run.Wait(ctx); err != nil {
				t.Fatal("run not cancelled after the client left")
			}
			if ts.gen.Cancelled() != 1 {
				t.Error("generator context not cancelled")
			}
		})
	}
}

func TestHeartbeat(t *testing.T) {
	ts := newServer(t, ragtest.TokensThenBlock("x"), rag.RunnerConfig{}, api.Config{Heartbeat: 10 * time.Millisecond})
	resp := get(t, streamURL(ts.URL, "What is SSE?"), nil)
	var mu sync.Mutex
	pings := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, p := readEvents(t, resp.Body, 0)
		mu.Lock()
		pings = p
		mu.Unlock()
	}()
	time.Sleep(100 * time.Millisecond)
	ts.runner.Close() // ends the run, and so the stream
	<-done
	mu.Lock()
	defer mu.Unlock()
	if pings == 0 {
		t.Error("no heartbeat comment in 100ms with a 10ms interval")
	}
}

func TestCurlDefaultContentType(t *testing.T) {
	h := api.AcceptCurlJSON(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Type", r.Header.Get("Content-Type"))
		w.Write(b)
	}))
	for _, tt := range []struct{ body, wantType string }{
		{`{"message":"hi"}`, "application/json"},
		{`message=hi`, "application/x-www-form-urlencoded"},
		{``, "application/x-www-form-urlencoded"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/chat", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if got := rec.Header().Get("X-Type"); got != tt.wantType {
			t.Errorf("%q: type %q, want %q", tt.body, got, tt.wantType)
		}
		if rec.Body.String() != tt.body {
			t.Errorf("%q: body became %q", tt.body, rec.Body.String())
		}
	}
}

// TestStreamHTTP2 covers the stream that stays inside net/http: HTTP/2
// connections cannot be taken over.
func TestStreamHTTP2(t *testing.T) {
	ts := newServerWith(t, ragtest.Tokens("a", "b"), rag.RunnerConfig{}, api.Config{}, func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		return srv
	})
	resp, err := ts.client.Get(streamURL(ts.URL, "What is SSE?"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("proto %s, type %q", resp.Proto, resp.Header.Get("Content-Type"))
	}
	evs, _ := readEvents(t, resp.Body, 0)
	if tokensOf(evs) != "ab" || evs[len(evs)-1].Type != "done" {
		t.Errorf("events %+v", evs)
	}
}

func TestHeadDoesNotStartARun(t *testing.T) {
	ts := newServer(t, ragtest.Tokens("x"), rag.RunnerConfig{}, api.Config{})
	resp, err := http.Head(streamURL(ts.URL, "What is SSE?"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("HEAD: %d", resp.StatusCode)
	}
	if ts.gen.Calls() != 0 {
		t.Errorf("HEAD started %d runs", ts.gen.Calls())
	}
}
