package rag

import "context"

// Store is a search index of chunks (search/embedded, search/elastic). It is
// derived data: it can always be rebuilt from the documents.
type Store interface {
	// Index adds chunks (with vectors). The chunks of each document in the
	// batch replace all chunks that document had before.
	Index(ctx context.Context, chunks []Chunk) error
	// Delete removes every chunk of the given documents. Unknown ids are not an error.
	Delete(ctx context.Context, documentIDs ...string) error
	// Search returns up to q.K passages, best first.
	Search(ctx context.Context, q Query) ([]Passage, error)
	// Count returns how many chunks the index holds.
	Count(ctx context.Context) (int, error)
}

// Embedder turns texts into vectors of one fixed dimension.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// PromptMessage is one message of a chat-completion prompt.
type PromptMessage struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// GenerateRequest is everything a generator may use to answer: an LLM reads
// Prompt; an extractive answerer reads Question and Passages.
type GenerateRequest struct {
	Lang     string          // "ko" or "en"
	Question string          // the user's question as asked
	Passages []Passage       // retrieved passages; Passages[i] is cited as [i+1]
	History  []Message       // earlier turns that fit the budget, oldest first
	Prompt   []PromptMessage // the built prompt (system, history, question with numbered sources)
}

// Generation describes a finished generation.
type Generation struct {
	FinishReason string // "stop", or "length" when the model hit its limit
	Model        string // the model that answered, e.g. "gpt-4o-mini" or "offline-extractive (not an LLM)"
	Usage        Usage
}

// Generator streams an answer, calling token with each piece of text
// (deltas, never cumulative). A token error stops generation and is
// returned. Cancelling ctx must end the upstream request.
type Generator interface {
	Generate(ctx context.Context, req GenerateRequest, token func(string) error) (Generation, error)
}

// Turn is what Conversations.BeginTurn recorded.
type Turn struct {
	ConversationID     string
	UserMessageID      string
	AssistantMessageID string    // a placeholder with StatusStreaming until FinishTurn
	History            []Message // the conversation's earlier messages, oldest first
}

// Conversations persists the turns of conversations.
type Conversations interface {
	// BeginTurn records the user's question and a streaming assistant
	// placeholder. An empty conversationID starts a new conversation owned by
	// owner (a user id; "" in open mode); an unknown one, or one of another
	// owner, is a NotFound error for field "conversation_id".
	BeginTurn(ctx context.Context, owner, conversationID, question, runID string) (Turn, error)
	// FinishTurn stores the final assistant message (content, sources,
	// status, finish reason, timings) under msg.ID.
	FinishTurn(ctx context.Context, msg Message) error
}
