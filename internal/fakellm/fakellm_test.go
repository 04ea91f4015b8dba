package fakellm

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goopenai "github.com/sashabaranov/go-openai"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

func client(t *testing.T, s *Server) *goopenai.Client {
	t.Helper()
	cfg := goopenai.DefaultConfig("test-key")
	cfg.BaseURL = s.URL()
	return goopenai.NewClientWithConfig(cfg)
}

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

var prompt = []goopenai.ChatCompletionMessage{
	{Role: "system", Content: "Answer from the sources and cite them as [n]."},
	{Role: "user", Content: "Sources:\n[1] SSE\nServer-Sent Events stream text over HTTP. They reconnect.\n\n[2] Other\nNot this.\n\nQuestion: What is SSE?"},
}

// streamResult is what a go-openai client saw of one stream.
type streamResult struct {
	Text   string
	Finish string
	Usage  *goopenai.Usage
	Err    string // "" when the stream ended with io.EOF
}

func readStream(ctx context.Context, c *goopenai.Client, onToken func(int)) (streamResult, error) {
	st, err := c.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
		Model: "m", Messages: prompt, StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
	})
	if err != nil {
		return streamResult{}, err
	}
	defer st.Close()
	var res streamResult
	var b strings.Builder
	n := 0
	for {
		resp, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Err = err.Error()
			break
		}
		if resp.Usage != nil {
			res.Usage = resp.Usage
		}
		for _, ch := range resp.Choices {
			if ch.Delta.Content != "" {
				b.WriteString(ch.Delta.Content)
				n++
				if onToken != nil {
					onToken(n)
				}
			}
			if ch.FinishReason != "" {
				res.Finish = string(ch.FinishReason)
			}
		}
	}
	res.Text = b.String()
	return res, nil
}

func TestStreamParsedByGoOpenAI(t *testing.T) {
	answer := "Server-Sent Events stream text over HTTP. [1]"
	tests := []struct {
		name   string
		script Script
		want   streamResult
	}{
		{"default answer", Script{}, streamResult{Text: answer, Finish: "stop", Usage: &goopenai.Usage{PromptTokens: 28, CompletionTokens: 7, TotalTokens: 35}}},
		{"scripted tokens", Script{Tokens: []string{"Hel", "lo"}}, streamResult{Text: "Hello", Finish: "stop", Usage: &goopenai.Usage{PromptTokens: 28, CompletionTokens: 2, TotalTokens: 30}}},
		{"length", Script{Tokens: []string{"a"}, FinishReason: "length"}, streamResult{Text: "a", Finish: "length", Usage: &goopenai.Usage{PromptTokens: 28, CompletionTokens: 1, TotalTokens: 29}}},
		{"error mid-stream", Script{Tokens: []string{"a", "b", "c"}, Break: BreakError, BreakAfter: 2, FailMessage: "boom"}, streamResult{Text: "ab", Err: "error, boom"}},
		{"error before first token", Script{Break: BreakError}, streamResult{Err: "error, fake upstream failure"}},
		{"truncated", Script{Tokens: []string{"a", "b", "c"}, Break: BreakTruncate, BreakAfter: 1}, streamResult{Text: "a"}},
		{"no [DONE]", Script{Tokens: []string{"a"}, End: BreakTruncate}, streamResult{Text: "a", Finish: "stop", Usage: &goopenai.Usage{PromptTokens: 28, CompletionTokens: 1, TotalTokens: 29}}},
		{"error after finish", Script{Tokens: []string{"a"}, End: BreakError}, streamResult{Text: "a", Finish: "stop", Usage: &goopenai.Usage{PromptTokens: 28, CompletionTokens: 1, TotalTokens: 29}, Err: "error, fake upstream failure"}},
		{"truncated after all tokens", Script{Tokens: []string{"a", "b"}, Break: BreakTruncate, BreakAfter: 5}, streamResult{Text: "ab"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Options{Script: tt.script})
			got, err := readStream(context.Background(), client(t, s), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stream (-want +got):\n%s", diff)
			}
			if s.Calls() != 1 || s.Gone() != 0 {
				t.Errorf("Calls, Gone = %d, %d; want 1, 0", s.Calls(), s.Gone())
			}
		})
	}
}

func TestRecordsRequests(t *testing.T) {
	s := newServer(t, Options{})
	if _, err := readStream(context.Background(), client(t, s), nil); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if got := r.Header.Get("Authorization"); got != "Bearer test-key" {
		t.Errorf("Authorization = %q", got)
	}
	if !r.Stream || r.StreamOptions == nil || !r.StreamOptions.IncludeUsage || r.Model != "m" {
		t.Errorf("request = %+v", r)
	}
	want := []Message{{Role: prompt[0].Role, Content: prompt[0].Content}, {Role: prompt[1].Role, Content: prompt[1].Content}}
	if diff := cmp.Diff(want, r.Messages); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestFailStatus(t *testing.T) {
	for _, status := range []int{400, 401, 429, 500, 503} {
		s := newServer(t, Options{Script: Script{FailStatus: status, FailMessage: "nope"}})
		_, err := readStream(context.Background(), client(t, s), nil)
		var apiErr *goopenai.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("status %d: err = %v, want *APIError", status, err)
		}
		if apiErr.HTTPStatusCode != status || apiErr.Message != "nope" {
			t.Errorf("status %d: got %d %q", status, apiErr.HTTPStatusCode, apiErr.Message)
		}
	}
}

func TestHangEndsWhenClientGoesAway(t *testing.T) {
	for _, after := range []int{0, 1} {
		s := newServer(t, Options{Script: Script{Tokens: []string{"a", "b"}, Break: BreakHang, BreakAfter: after}})
		ctx, cancel := context.WithCancel(context.Background())
		if after == 0 {
			// Nothing arrives to react to: cancel once the request is in.
			go func() {
				waitActive(s)
				cancel()
			}()
		}
		got, err := readStream(ctx, client(t, s), func(n int) {
			if n == after {
				cancel()
			}
		})
		if err != nil {
			got.Err = err.Error() // cancelled before the headers arrived
		}
		if got.Err == "" || got.Finish != "" {
			t.Errorf("after %d: got %+v, want an error and no finish", after, got)
		}
		<-s.Ended() // the handler saw its client go away
		if s.Gone() != 1 {
			t.Errorf("Gone = %d, want 1", s.Gone())
		}
		cancel()
	}
}

func TestCloseEndsHangingRequests(t *testing.T) {
	s := New(Options{Script: Script{HeaderDelay: 1 << 40}})
	done := make(chan error, 1)
	go func() {
		res, err := readStream(context.Background(), client(t, s), nil)
		if err == nil && res.Err != "" {
			err = errors.New(res.Err)
		}
		done <- err
	}()
	waitActive(s)
	s.Close()
	if err := <-done; err == nil {
		t.Error("request to a closed server succeeded")
	}
}

// waitActive polls until a chat request is being answered.
func waitActive(s *Server) {
	for s.Active() == 0 {
		time.Sleep(time.Millisecond)
	}
}

func TestQueueScripts(t *testing.T) {
	s := newServer(t, Options{Script: Script{Tokens: []string{"ok"}}})
	s.QueueScripts(Script{FailStatus: 503}, Script{Tokens: []string{"second"}})
	var got []string
	for range 3 {
		res, err := readStream(context.Background(), client(t, s), nil)
		if err != nil {
			got = append(got, "err")
			continue
		}
		got = append(got, res.Text)
	}
	if diff := cmp.Diff([]string{"err", "second", "ok"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNonStream(t *testing.T) {
	s := newServer(t, Options{Script: Script{Tokens: []string{"Hel", "lo"}}})
	resp, err := client(t, s).CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{Model: "m", Messages: prompt})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Hello" || resp.Choices[0].FinishReason != "stop" || resp.Usage.CompletionTokens != 2 {
		t.Errorf("resp = %+v", resp)
	}
}

// TestWireGolden pins the exact bytes of a stream, the format other
// clients (curl, the browser) see.
func TestWireGolden(t *testing.T) {
	s := newServer(t, Options{Script: Script{Tokens: []string{"Hi", " there"}}})
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello you"}]}`
	resp, err := http.Post(s.URL()+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	golden := filepath.Join("testdata", "stream.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("wire (-want +got):\n%s", diff)
	}
}

func TestEmbeddings(t *testing.T) {
	inputs := []string{"alpha beta", "gamma", ""}
	tests := []struct {
		name    string
		script  EmbedScript
		format  goopenai.EmbeddingEncodingFormat
		wantIdx []int
		wantErr int
	}{
		{"in order", EmbedScript{}, "", []int{0, 1, 2}, 0},
		{"base64", EmbedScript{}, goopenai.EmbeddingEncodingFormatBase64, []int{0, 1, 2}, 0},
		{"reversed", EmbedScript{Reverse: true}, "", []int{2, 1, 0}, 0},
		{"dropped", EmbedScript{Drop: 1}, "", []int{0, 1}, 0},
		{"failing", EmbedScript{FailStatus: 429}, "", nil, 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Options{Dimensions: 8})
			s.SetEmbedScript(tt.script)
			req := goopenai.EmbeddingRequest{Input: inputs, Model: "e", EncodingFormat: tt.format}
			var idx []int
			var vecs [][]float32
			// The client decodes base64 itself when asked for it.
			res, err := client(t, s).CreateEmbeddings(context.Background(), req)
			if tt.wantErr != 0 {
				var apiErr *goopenai.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != tt.wantErr {
					t.Fatalf("err = %v, want status %d", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Data {
				idx = append(idx, d.Index)
				vecs = append(vecs, d.Embedding)
			}
			if diff := cmp.Diff(tt.wantIdx, idx); diff != "" {
				t.Errorf("indexes (-want +got):\n%s", diff)
			}
			for i, v := range vecs {
				if diff := cmp.Diff(Vector(inputs[idx[i]], 8), v); diff != "" {
					t.Errorf("vector %d (-want +got):\n%s", idx[i], diff)
				}
			}
			if diff := cmp.Diff(inputs, s.EmbedInputs()); diff != "" {
				t.Errorf("recorded inputs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaults checks on the wire what each fault sends: a client must see a
// transport error for cuts and exactly the broken bytes otherwise.
func TestFaults(t *testing.T) {
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"hello"}]}`
	tests := []struct {
		name     string
		script   Script
		postErr  bool   // the request itself fails (no response)
		readErr  bool   // reading the body fails
		status   int    // when postErr is false
		contains string // in what was read
		lacks    string
	}{
		{name: "cut before headers", script: Script{CutBeforeHeaders: true}, postErr: true},
		{name: "HTML error page", script: Script{FailStatus: 502, FailHTML: true}, status: 502, contains: "<h1>502 Bad Gateway</h1>", lacks: `"error"`},
		{name: "cut between events", script: Script{Tokens: []string{"a", "b"}, Break: BreakCut, BreakAfter: 1}, status: 200, readErr: true, contains: `"content":"a"`, lacks: "[DONE]"},
		{name: "cut mid-chunk", script: Script{Tokens: []string{"a", "b"}, Break: BreakCutMidChunk, BreakAfter: 1}, status: 200, readErr: true, contains: `"object":"chat.compl`, lacks: "[DONE]"},
		{name: "line not JSON", script: Script{Tokens: []string{"a"}, Break: BreakBadJSON, BreakAfter: 1}, status: 200, contains: "data: this is not JSON\n\n", lacks: "[DONE]"},
		{name: "cut after finishing", script: Script{Tokens: []string{"a"}, End: BreakCut}, status: 200, readErr: true, contains: `"finish_reason":"stop"`, lacks: "[DONE]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Options{Script: tt.script})
			resp, err := http.Post(s.URL()+"/chat/completions", "application/json", strings.NewReader(body))
			if tt.postErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request succeeded with %d, want a transport error", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if (err != nil) != tt.readErr {
				t.Errorf("read error = %v, want an error: %v", err, tt.readErr)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.status)
			}
			if !strings.Contains(string(got), tt.contains) || tt.lacks != "" && strings.Contains(string(got), tt.lacks) {
				t.Errorf("body %q: want %q in it and not %q", got, tt.contains, tt.lacks)
			}
		})
	}
}

func TestCutRate(t *testing.T) {
	s := newServer(t, Options{CutRate: 0.2, Script: Script{Tokens: []string{"a ", "b ", "c ", "d"}}})
	c := client(t, s)
	var cut []int
	for i := 1; i <= 10; i++ {
		res, err := readStream(context.Background(), c, nil)
		switch {
		case err != nil:
			t.Fatalf("request %d: %v", i, err)
		case res.Err != "" && res.Text == "a b " && res.Finish == "":
			cut = append(cut, i)
		case res.Err != "" || res.Text != "a b c d":
			t.Fatalf("request %d: %+v", i, res)
		}
	}
	if !cmp.Equal(cut, []int{5, 10}) {
		t.Errorf("cut requests %v, want [5 10]", cut)
	}
}
