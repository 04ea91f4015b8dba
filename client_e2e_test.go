//go:build !js

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"ragchat/openapi/client"
)

// TestE2EGeneratedClient uses the generated Go client (openapi/client)
// against the real server: the committed spec is one a client can be built
// from and used with.
func TestE2EGeneratedClient(t *testing.T) {
	base, _ := startServer(t, map[string]string{"RAGCHAT_GENERATOR": "extractive"})
	c, err := client.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	chat, err := c.ChatWithResponse(ctx, client.ChatJSONRequestBody{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	if chat.JSON200 == nil || !strings.Contains(chat.JSON200.Response, "[1]") || len(chat.JSON200.Sources) == 0 {
		t.Fatalf("chat: %d %s", chat.StatusCode(), chat.Body)
	}

	bad, err := c.ChatWithResponse(ctx, client.ChatJSONRequestBody{Message: "   "})
	if err != nil {
		t.Fatal(err)
	}
	if bad.ApplicationproblemJSON422 == nil {
		t.Errorf("blank question: %d %s, want a typed 422 problem", bad.StatusCode(), bad.Body)
	}

	search, err := c.SearchWithResponse(ctx, client.SearchJSONRequestBody{Query: "SSE가 무엇인가요"})
	if err != nil {
		t.Fatal(err)
	}
	if search.JSON200 == nil || len(search.JSON200.Passages) == 0 {
		t.Fatalf("search: %d %s", search.StatusCode(), search.Body)
	}

	conv, err := c.GetConversationWithResponse(ctx, chat.JSON200.ConversationId)
	if err != nil {
		t.Fatal(err)
	}
	if conv.JSON200 == nil || len(conv.JSON200.Messages) != 2 {
		t.Fatalf("conversation: %d %s", conv.StatusCode(), conv.Body)
	}

	// The same text twice: created, then the existing document, both
	// typed as success (the spec declares 201 and 200).
	doc := client.AddDocumentJSONRequestBody{Title: "Client e2e", Text: "The generated client adds this text twice."}
	first, err := c.AddDocumentWithResponse(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.AddDocumentWithResponse(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	if first.JSON201 == nil || again.JSON200 == nil || again.JSON200.Id != first.JSON201.Id {
		t.Fatalf("add twice: %d %s, then %d %s", first.StatusCode(), first.Body, again.StatusCode(), again.Body)
	}

	// The stream operation hands back the raw response to read as SSE.
	resp, err := c.ChatStream(ctx, &client.ChatStreamParams{Message: "What is SSE?"})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	evs := readSSE(t, resp.Body, nil)
	if evs[0].Type != "start" || evs[len(evs)-1].Type != "done" {
		t.Errorf("stream: %s … %s", evs[0].Type, evs[len(evs)-1].Type)
	}
}
