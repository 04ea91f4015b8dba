package rag

import (
	"strconv"
	"time"
)

// Document is one source text as a user added it. The SQL store holds it;
// search stores only hold its chunks.
type Document struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	URL         string            `json:"url,omitempty"`
	Source      string            `json:"source,omitempty"` // where it came from (file path, upload name); a new version at the same source replaces the old one
	ContentType string            `json:"content_type"`
	Hash        string            `json:"hash"` // hex SHA-256 of Text
	Text        string            `json:"text,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	ChunkCount  int               `json:"chunk_count"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// Chunk is a piece of a document small enough to retrieve and to put in a
// prompt. Its ID is stable: DocumentID + "#" + Position.
type Chunk struct {
	ID         string    `json:"id"`
	DocumentID string    `json:"document_id"`
	Position   int       `json:"position"`
	Title      string    `json:"title"`             // the document's title
	URL        string    `json:"url,omitempty"`     // the document's URL
	Heading    string    `json:"heading,omitempty"` // the nearest section heading(s), "A > B"
	Text       string    `json:"text"`
	Vector     []float32 `json:"vector,omitempty"` // set by the embedder before indexing
}

// ChunkID returns the stable ID of a document's chunk at position.
func ChunkID(documentID string, position int) string {
	return documentID + "#" + strconv.Itoa(position)
}

// SearchMode selects which half of hybrid retrieval a query uses.
type SearchMode string

const (
	ModeHybrid SearchMode = "hybrid" // BM25 and vector, fused by reciprocal rank (the default)
	ModeBM25   SearchMode = "bm25"
	ModeVector SearchMode = "vector"
)

// Query asks a Store for the chunks that best match a question.
type Query struct {
	Text        string
	Vector      []float32 // the embedded Text; may be nil in ModeBM25
	K           int       // how many passages to return; <= 0 means 5
	Mode        SearchMode
	DocumentIDs []string // when set, only chunks of these documents
}

// Passage is a retrieved chunk with its score (higher is better; the scale
// depends on the store and mode).
type Passage struct {
	Chunk Chunk   `json:"chunk"`
	Score float64 `json:"score"`
}

// Source is a passage as shown to the user and cited by the answer as [N].
type Source struct {
	N          int     `json:"n"`
	DocumentID string  `json:"document_id"`
	ChunkID    string  `json:"chunk_id"`
	Title      string  `json:"title"`
	URL        string  `json:"url,omitempty"`
	Snippet    string  `json:"snippet"`
	Score      float64 `json:"score"`
}

// Role is who wrote a message.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// MessageStatus tells whether an assistant message is final.
type MessageStatus string

const (
	StatusStreaming MessageStatus = "streaming" // a run is still producing it
	StatusComplete  MessageStatus = "complete"
	StatusStopped   MessageStatus = "stopped" // the user stopped it; the partial answer is kept
	StatusError     MessageStatus = "error"   // the run failed or the server stopped mid-run
)

// Message is one turn of a conversation.
type Message struct {
	ID             string        `json:"id"`
	ConversationID string        `json:"conversation_id"`
	Role           Role          `json:"role"`
	Content        string        `json:"content"`
	Sources        []Source      `json:"sources,omitempty"`
	Status         MessageStatus `json:"status"`
	FinishReason   string        `json:"finish_reason,omitempty"`
	RunID          string        `json:"run_id,omitempty"`
	Timings        *Timings      `json:"timings,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
}

// AnyOwner, given as the owner of a listing, lists the conversations of
// every owner (no user id is "*").
const AnyOwner = "*"

// Conversation is a thread of messages.
type Conversation struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner,omitempty"` // the owning user's id; "" for conversations of open mode
	Title     string    `json:"title"`           // the first question, shortened
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Usage counts the tokens of one generation, as the generator reports them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Timings of a run in milliseconds since the run was requested.
type Timings struct {
	FirstEventMS float64 `json:"first_event_ms"`
	RetrievalMS  float64 `json:"retrieval_ms"` // duration of retrieval (embedding + search)
	FirstTokenMS float64 `json:"first_token_ms"`
	TotalMS      float64 `json:"total_ms"`
}
