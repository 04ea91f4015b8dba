// Package ragtest provides small fakes of rag's interfaces for tests:
// function-field structs and in-memory stores that record what they were
// asked.
package ragtest

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode"

	"ragchat/rag"
)

// Embedder returns a fixed-size vector counting letters; good enough to be
// deterministic.
type Embedder struct {
	Err error
}

// Embed implements rag.Embedder.
func (e *Embedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if e.Err != nil {
		return nil, e.Err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v := make([]float32, 8)
		for _, r := range t {
			v[int(r)%8]++
		}
		out[i] = v
	}
	return out, nil
}

// Store is an in-memory rag.Store that ranks by how many query words a
// chunk contains.
type Store struct {
	mu     sync.Mutex
	chunks map[string]rag.Chunk
	Err    error // returned by Search when set
}

// Index implements rag.Store.
func (s *Store) Index(_ context.Context, chunks []rag.Chunk) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chunks == nil {
		s.chunks = map[string]rag.Chunk{}
	}
	docs := map[string]bool{}
	for _, c := range chunks {
		docs[c.DocumentID] = true
	}
	for id, c := range s.chunks {
		if docs[c.DocumentID] {
			delete(s.chunks, id)
		}
	}
	for _, c := range chunks {
		s.chunks[c.ID] = c
	}
	return nil
}

// Delete implements rag.Store.
func (s *Store) Delete(_ context.Context, ids ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	del := map[string]bool{}
	for _, id := range ids {
		del[id] = true
	}
	for id, c := range s.chunks {
		if del[c.DocumentID] {
			delete(s.chunks, id)
		}
	}
	return nil
}

// Search implements rag.Store.
func (s *Store) Search(ctx context.Context, q rag.Query) ([]rag.Passage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, s.Err
	}
	words := strings.FieldsFunc(strings.ToLower(q.Text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var out []rag.Passage
	for _, c := range s.chunks {
		text := strings.ToLower(c.Title + " " + c.Text)
		score := 0.0
		for _, w := range words {
			if strings.Contains(text, w) {
				score++
			}
		}
		if score > 0 {
			out = append(out, rag.Passage{Chunk: c, Score: score})
		}
	}
	sortPassages(out)
	k := q.K
	if k <= 0 {
		k = 5
	}
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}

func sortPassages(ps []rag.Passage) {
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && (ps[j].Score > ps[j-1].Score || ps[j].Score == ps[j-1].Score && ps[j].Chunk.ID < ps[j-1].Chunk.ID); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// Count implements rag.Store.
func (s *Store) Count(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chunks), nil
}

// Generator calls its function; it counts calls and remembers whether each
// call's context ended.
type Generator struct {
	Func func(ctx context.Context, req rag.GenerateRequest, token func(string) error) (rag.Generation, error)

	mu    sync.Mutex
	calls int
	ended int // calls whose context was cancelled by the time they returned
}

// Generate implements rag.Generator.
func (g *Generator) Generate(ctx context.Context, req rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	gen, err := g.Func(ctx, req, token)
	if ctx.Err() != nil {
		g.mu.Lock()
		g.ended++
		g.mu.Unlock()
	}
	return gen, err
}

// Calls returns how often Generate was called.
func (g *Generator) Calls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// Cancelled returns how many calls returned with their context cancelled.
func (g *Generator) Cancelled() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ended
}

// Tokens returns a generator function that streams tokens, then stops.
func Tokens(tokens ...string) func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error) {
	return func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		for _, t := range tokens {
			if err := token(t); err != nil {
				return rag.Generation{}, err
			}
		}
		return rag.Generation{FinishReason: "stop", Model: "fake"}, nil
	}
}

// TokensThenBlock streams tokens, then waits for ctx to end.
func TokensThenBlock(tokens ...string) func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error) {
	return func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		for _, t := range tokens {
			if err := token(t); err != nil {
				return rag.Generation{}, err
			}
		}
		<-ctx.Done()
		return rag.Generation{}, ctx.Err()
	}
}

// TokensThenFail streams tokens, then fails with err.
func TokensThenFail(err error, tokens ...string) func(context.Context, rag.GenerateRequest, func(string) error) (rag.Generation, error) {
	return func(ctx context.Context, _ rag.GenerateRequest, token func(string) error) (rag.Generation, error) {
		for _, t := range tokens {
			if err := token(t); err != nil {
				return rag.Generation{}, err
			}
		}
		return rag.Generation{}, err
	}
}

// Conversations is an in-memory rag.Conversations.
type Conversations struct {
	mu        sync.Mutex
	convs     map[string][]rag.Message
	owners    map[string]string
	finished  map[string]rag.Message
	FinishErr error
}

// BeginTurn implements rag.Conversations.
func (c *Conversations) BeginTurn(_ context.Context, owner, convID, question, runID string) (rag.Turn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.convs == nil {
		c.convs, c.owners = map[string][]rag.Message{}, map[string]string{}
	}
	if convID == "" {
		convID = rag.NewID()
		c.convs[convID] = nil
		c.owners[convID] = owner
	}
	history, ok := c.convs[convID]
	if !ok || c.owners[convID] != owner {
		return rag.Turn{}, rag.NotFound("conversation_id", "no conversation %q", convID)
	}
	user := rag.Message{ID: rag.NewID(), ConversationID: convID, Role: rag.RoleUser, Content: question, Status: rag.StatusComplete, CreatedAt: time.Now()}
	asst := rag.Message{ID: rag.NewID(), ConversationID: convID, Role: rag.RoleAssistant, Status: rag.StatusStreaming, RunID: runID, CreatedAt: time.Now()}
	c.convs[convID] = append(append([]rag.Message(nil), history...), user, asst)
	return rag.Turn{ConversationID: convID, UserMessageID: user.ID, AssistantMessageID: asst.ID, History: history}, nil
}

// ConversationOwner returns the owner of a conversation begun here.
func (c *Conversations) ConversationOwner(_ context.Context, id string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	owner, ok := c.owners[id]
	if !ok {
		return "", rag.NotFound("id", "no conversation %q", id)
	}
	return owner, nil
}

// FinishTurn implements rag.Conversations.
func (c *Conversations) FinishTurn(_ context.Context, msg rag.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.FinishErr != nil {
		return c.FinishErr
	}
	if c.finished == nil {
		c.finished = map[string]rag.Message{}
	}
	c.finished[msg.ID] = msg
	msgs := c.convs[msg.ConversationID]
	for i := range msgs {
		if msgs[i].ID == msg.ID {
			msgs[i] = msg
		}
	}
	return nil
}

// Finished returns the stored assistant message with the given id.
func (c *Conversations) Finished(id string) (rag.Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.finished[id]
	return m, ok
}

// FinishedMessages returns every stored assistant message, in no order.
func (c *Conversations) FinishedMessages() []rag.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]rag.Message, 0, len(c.finished))
	for _, m := range c.finished {
		out = append(out, m)
	}
	return out
}
