package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ragchat/api"
	v1 "ragchat/api/v1"
	"ragchat/rag"
)

// TestCurlJSONSlowAnswer is issue 16's 5-second bug: POST /api/v1/chat
// with curl's form content type and a JSON body, answered after more
// than Huma's 5 s body read timeout, must still get its answer (it got a
// 500 "context canceled" at exactly 5 s). A real form body keeps its 415.
func TestCurlJSONSlowAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 6 s for the slow answer")
	}
	slow := func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		select {
		case <-time.After(6 * time.Second):
		case <-ctx.Done():
			return rag.Generation{}, ctx.Err()
		}
		if err := token("late answer"); err != nil {
			return rag.Generation{}, err
		}
		return rag.Generation{FinishReason: "stop", Model: "fake"}, nil
	}
	ts := newServerWith(t, slow, rag.RunnerConfig{}, api.Config{}, func(h http.Handler) *httptest.Server {
		return httptest.NewServer(api.AcceptCurlJSON(h))
	})
	resp, err := ts.client.Post(ts.URL+"/api/v1/chat", "application/x-www-form-urlencoded", strings.NewReader(`{"message":"What is SSE?"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var p map[string]any
		json.NewDecoder(resp.Body).Decode(&p)
		t.Fatalf("status %d: %v", resp.StatusCode, p)
	}
	var out v1.ChatResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response != "late answer" {
		t.Fatalf("response %q", out.Response)
	}

	resp, err = ts.client.Post(ts.URL+"/api/v1/chat", "application/x-www-form-urlencoded", strings.NewReader(`message=hi`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("form body: status %d, want 415", resp.StatusCode)
	}
}
