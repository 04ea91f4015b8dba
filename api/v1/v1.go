// Package v1 holds the wire types of ragchat's API v1, shared by the server
// (api) and the browser app (app). It uses only the standard library so that
// it compiles into app.wasm. Struct tags carry the OpenAPI documentation and
// limits that Huma reads on the server.
package v1

import (
	"encoding/json"
	"time"
)

// DefaultMaxMessageChars is the default limit on a question's length in
// characters (runes); the server's --max-message-chars changes it.
const DefaultMaxMessageChars = 4000

// ChatRequest asks a question, optionally continuing a conversation.
type ChatRequest struct {
	Message        string `json:"message" minLength:"1" doc:"The question. Must contain a non-space character; at most 4000 characters unless the server is configured otherwise." example:"What is SSE?"`
	ConversationID string `json:"conversation_id,omitempty" doc:"Continue this conversation; omit to start a new one."`
	Lang           string `json:"lang,omitempty" enum:"ko,en" doc:"Language of status texts and of the answer's framing; detected from the message when omitted."`
}

// ChatResponse is the REST fallback's answer: the whole stream in one body.
type ChatResponse struct {
	Response       string   `json:"response" doc:"The answer text, with citations as [n]."`
	Sources        []Source `json:"sources" nullable:"false" doc:"The passages the answer may cite; n is the citation number."`
	Cited          []int    `json:"cited" nullable:"false" doc:"Citation numbers the answer used."`
	ConversationID string   `json:"conversation_id"`
	MessageID      string   `json:"message_id" doc:"The assistant message that holds this answer."`
	RunID          string   `json:"run_id"`
	FinishReason   string   `json:"finish_reason" enum:"stop,length,stopped"`
	Model          string   `json:"model" doc:"Who answered; the offline default says it is not an LLM."`
	Usage          Usage    `json:"usage"`
	Timings        Timings  `json:"timings"`
}

// Event types of the chat stream. Every SSE message's data is one JSON object
// {"type": ..., "content": ...}.
const (
	TypeStart   = "start"
	TypeStatus  = "status"
	TypeSources = "sources"
	TypeToken   = "token"
	TypeDone    = "done"
	TypeError   = "error"
)

// Event is any event of the chat stream, for decoding: read Type, then
// decode Content into the matching content type (Start, Status, []Source,
// string, Done, Error).
type Event struct {
	Type    string          `json:"type"`
	Content json.RawMessage `json:"content"`
}

// StartEvent comes first, at once.
type StartEvent struct {
	Type    string `json:"type" enum:"start"`
	Content Start  `json:"content"`
}

// Start identifies the run and where its answer is stored.
type Start struct {
	RunID          string `json:"run_id" doc:"Follow or stop the run with this id."`
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id" doc:"The assistant message being written."`
}

// StatusEvent tells what the run is doing.
type StatusEvent struct {
	Type    string `json:"type" enum:"status"`
	Content Status `json:"content"`
}

// Status is a stage and its human text in the request's language.
type Status struct {
	Stage string `json:"stage" enum:"retrieving,generating"`
	Text  string `json:"text" example:"문서 검색 중..."`
}

// SourcesEvent lists the retrieved passages, after retrieval.
type SourcesEvent struct {
	Type    string   `json:"type" enum:"sources"`
	Content []Source `json:"content" nullable:"false"`
}

// Source is a retrieved passage the answer may cite as [N].
type Source struct {
	N          int     `json:"n" doc:"Citation number, from 1."`
	DocumentID string  `json:"document_id"`
	ChunkID    string  `json:"chunk_id,omitempty"`
	Title      string  `json:"title"`
	URL        string  `json:"url,omitempty"`
	Snippet    string  `json:"snippet"`
	Score      float64 `json:"score" doc:"Relevance as the search ranked it, higher is better. Comparable only within one list: its scale depends on the search mode and store."`
}

// TokenEvent carries the next piece of the answer (a delta, never the text so far).
type TokenEvent struct {
	Type    string `json:"type" enum:"token"`
	Content string `json:"content"`
}

// DoneEvent ends a run that answered (or was stopped).
type DoneEvent struct {
	Type    string `json:"type" enum:"done"`
	Content Done   `json:"content"`
}

// Done summarises the finished run.
type Done struct {
	FinishReason string  `json:"finish_reason" enum:"stop,length,stopped"`
	Cited        []int   `json:"cited" nullable:"false"`
	Model        string  `json:"model"`
	Usage        Usage   `json:"usage"`
	Timings      Timings `json:"timings"`
	SearchQuery  string  `json:"search_query,omitempty" doc:"The query retrieval used, when it differs from the question."`
}

// Usage counts tokens as the generator reported them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Timings are milliseconds since the request reached the server.
type Timings struct {
	FirstEventMS float64 `json:"first_event_ms"`
	RetrievalMS  float64 `json:"retrieval_ms"`
	FirstTokenMS float64 `json:"first_token_ms"`
	TotalMS      float64 `json:"total_ms"`
}

// ErrorEvent ends a run that failed, instead of done.
type ErrorEvent struct {
	Type    string `json:"type" enum:"error"`
	Content Error  `json:"content"`
}

// Error says why a run failed, in words safe to show.
type Error struct {
	Code      string `json:"code" enum:"upstream_error,upstream_unavailable,upstream_interrupted,upstream_timeout,search_error,cancelled,internal_error"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable" doc:"Whether asking again later may succeed."`
}

// Conversation is a thread of messages.
type Conversation struct {
	ID        string    `json:"id"`
	Title     string    `json:"title" doc:"The first question, shortened."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ConversationList is one page of conversations, newest first.
type ConversationList struct {
	Conversations []Conversation `json:"conversations" nullable:"false"`
	NextCursor    string         `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

// ConversationDetail is a conversation with its messages, oldest first.
type ConversationDetail struct {
	Conversation
	Messages []Message `json:"messages" nullable:"false"`
}

// Message is one turn of a conversation.
type Message struct {
	ID           string    `json:"id"`
	Role         string    `json:"role" enum:"user,assistant"`
	Content      string    `json:"content"`
	Sources      []Source  `json:"sources,omitempty" nullable:"false"`
	Status       string    `json:"status" enum:"streaming,complete,stopped,error"`
	FinishReason string    `json:"finish_reason,omitempty"`
	RunID        string    `json:"run_id,omitempty"`
	Timings      *Timings  `json:"timings,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// DocumentInput adds a document from text.
type DocumentInput struct {
	Title    string            `json:"title" minLength:"1" maxLength:"500"`
	Text     string            `json:"text" minLength:"1" doc:"Plain text or Markdown."`
	URL      string            `json:"url,omitempty" format:"uri"`
	Source   string            `json:"source,omitempty" doc:"Where it came from; a new text at the same source replaces the old version."`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Document is a stored document, without its text.
type Document struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	URL         string            `json:"url,omitempty"`
	Source      string            `json:"source,omitempty"`
	ContentType string            `json:"content_type"`
	Hash        string            `json:"hash" doc:"SHA-256 of the text; the same text is never stored twice."`
	ChunkCount  int               `json:"chunk_count"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// DocumentList is one page of documents, newest first.
type DocumentList struct {
	Documents  []Document `json:"documents" nullable:"false"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// SearchRequest runs retrieval only.
type SearchRequest struct {
	Query string `json:"query" minLength:"1"`
	K     int    `json:"k,omitempty" minimum:"1" maximum:"50" doc:"How many passages; default 5."`
	Mode  string `json:"mode,omitempty" enum:"hybrid,bm25,vector" doc:"Default hybrid."`
}

// SearchResponse lists passages, best first.
type SearchResponse struct {
	Passages []Passage `json:"passages" nullable:"false"`
}

// Passage is one retrieved chunk.
type Passage struct {
	DocumentID string  `json:"document_id"`
	ChunkID    string  `json:"chunk_id"`
	Title      string  `json:"title"`
	URL        string  `json:"url,omitempty"`
	Heading    string  `json:"heading,omitempty"`
	Text       string  `json:"text"`
	Score      float64 `json:"score" doc:"Relevance as the search ranked it, higher is better. Comparable only within one list: its scale depends on the search mode and store."`
}
