package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"ragchat/rag"
)

var _ rag.Conversations = (*DB)(nil)

// HistoryLimit is how many earlier messages BeginTurn returns at most.
const HistoryLimit = 50

// titleRunes is the length a question is shortened to for a title.
const titleRunes = 60

// FinishInterrupted is the finish reason MarkInterrupted records.
const FinishInterrupted = "interrupted"

// BeginTurn records the user's question and a streaming assistant
// placeholder (with runID) in one transaction. An empty conversationID
// starts a conversation titled with the question shortened; an unknown one
// (or one of another owner) is a NotFound error for field
// "conversation_id"; a new conversation belongs to owner (a user id, "" in
// open mode). An empty question is an
// Invalid error for field "message". The turn's History is the
// conversation's earlier messages, oldest first, the last HistoryLimit at
// most, whatever their status.
func (d *DB) BeginTurn(ctx context.Context, owner, conversationID, question, runID string) (rag.Turn, error) {
	if strings.TrimSpace(question) == "" {
		return rag.Turn{}, wrap("begin turn", rag.Invalid("message", "must not be empty"))
	}
	if err := checkText("message", question); err != nil {
		return rag.Turn{}, wrap("begin turn", err)
	}
	turn := rag.Turn{ConversationID: conversationID, UserMessageID: rag.NewID(), AssistantMessageID: rag.NewID()}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		t := now()
		seq := 0
		if conversationID == "" {
			turn.ConversationID = rag.NewID()
			_, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, title, created_at, updated_at, owner_id)
				VALUES ($1, $2, $3, $3, $4)`, turn.ConversationID, shortTitle(question), d.ts(t), owner)
			if err != nil {
				return err
			}
		} else {
			// Writing first locks the conversation (PostgreSQL row lock;
			// SQLite's BEGIN IMMEDIATE holds the write lock already), so
			// concurrent turns of one conversation take sequence numbers
			// one after the other.
			res, err := tx.ExecContext(ctx, `UPDATE conversations SET updated_at = $1 WHERE id = $2 AND owner_id = $3`,
				d.ts(t), conversationID, owner)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return rag.NotFound("conversation_id", "no conversation with id %q", conversationID)
			}
			err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = $1`,
				conversationID).Scan(&seq)
			if err != nil {
				return err
			}
			turn.History, err = d.queryMessages(ctx, tx, `WHERE conversation_id = $1 ORDER BY seq DESC LIMIT $2`,
				conversationID, HistoryLimit)
			if err != nil {
				return err
			}
			slices.Reverse(turn.History)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO messages (id, conversation_id, seq, role, content, status, run_id, created_at)
			VALUES ($1, $2, $3, 'user', $4, 'complete', '', $7), ($5, $2, $6, 'assistant', '', 'streaming', $8, $7)`,
			turn.UserMessageID, turn.ConversationID, seq+1, question, turn.AssistantMessageID, seq+2, d.ts(t), runID)
		return err
	})
	if err != nil {
		return rag.Turn{}, wrap("begin turn", err)
	}
	return turn, nil
}

// FinishTurn stores the final assistant message under msg.ID: content,
// sources, status, finish reason and timings (other fields are ignored),
// and marks the conversation updated. An unknown assistant message is a
// NotFound error for field "message_id". Text the database could not hold
// (NUL, invalid UTF-8) is cleaned rather than refused, so an answer is
// never lost.
func (d *DB) FinishTurn(ctx context.Context, msg rag.Message) error {
	switch msg.Status {
	case rag.StatusStreaming, rag.StatusComplete, rag.StatusStopped, rag.StatusError:
	default:
		return wrap("finish turn", rag.Invalid("status", "unknown message status %q", msg.Status))
	}
	var sources, timings any // NULL unless set
	if len(msg.Sources) > 0 {
		clean := make([]rag.Source, len(msg.Sources))
		for i, s := range msg.Sources {
			s.DocumentID, s.ChunkID, s.Title = cleanText(s.DocumentID), cleanText(s.ChunkID), cleanText(s.Title)
			s.URL, s.Snippet = cleanText(s.URL), cleanText(s.Snippet)
			clean[i] = s
		}
		b, err := json.Marshal(clean)
		if err != nil {
			return wrap("finish turn", err)
		}
		sources = string(b)
	}
	if msg.Timings != nil {
		b, err := json.Marshal(msg.Timings)
		if err != nil {
			return wrap("finish turn", err)
		}
		timings = string(b)
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var convID string
		err := tx.QueryRowContext(ctx, `UPDATE messages SET content = $1, sources = $2, status = $3,
			finish_reason = $4, timings = $5 WHERE id = $6 AND role = 'assistant' RETURNING conversation_id`,
			cleanText(msg.Content), sources, string(msg.Status), cleanText(msg.FinishReason), timings, msg.ID).Scan(&convID)
		if errors.Is(err, sql.ErrNoRows) {
			return rag.NotFound("message_id", "no assistant message with id %q", msg.ID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET updated_at = $1 WHERE id = $2`, d.ts(now()), convID)
		return err
	})
	return wrap("finish turn", err)
}

// MarkInterrupted turns streaming placeholders into status error with
// finish reason FinishInterrupted and returns how many it changed. Call it
// at startup, before serving: the runs that wrote them died with the last
// process. live, when not nil, names runs that are still running (on other
// instances sharing the database); their placeholders are left alone.
func (d *DB) MarkInterrupted(ctx context.Context, live func(runID string) bool) (int, error) {
	if live == nil {
		res, err := d.exec(ctx, `UPDATE messages SET status = 'error', finish_reason = $1
			WHERE status = 'streaming'`, FinishInterrupted)
		if err != nil {
			return 0, wrap("mark interrupted", err)
		}
		n, err := res.RowsAffected()
		return int(n), wrap("mark interrupted", err)
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, run_id FROM messages WHERE status = 'streaming'`)
	if err != nil {
		return 0, wrap("mark interrupted", err)
	}
	var dead []string
	for rows.Next() {
		var id, runID string
		if err := rows.Scan(&id, &runID); err != nil {
			rows.Close()
			return 0, wrap("mark interrupted", err)
		}
		if runID == "" || !live(runID) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, wrap("mark interrupted", err)
	}
	n := 0
	for _, id := range dead {
		res, err := d.exec(ctx, `UPDATE messages SET status = 'error', finish_reason = $1
			WHERE id = $2 AND status = 'streaming'`, FinishInterrupted, id)
		if err != nil {
			return n, wrap("mark interrupted", err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// ListConversations returns a page of conversations, most recently updated
// first, and the cursor of the next page ("" after the last page): those of
// owner, or of every owner when owner is rag.AnyOwner. cursor is "" for the
// first page; limit is clamped (DefaultLimit, MaxLimit).
func (d *DB) ListConversations(ctx context.Context, owner, cursor string, limit int) ([]rag.Conversation, string, error) {
	after, ok, err := decodeCursor(cursor, "c")
	if err != nil {
		return nil, "", wrap("list conversations", err)
	}
	limit = clampLimit(limit)
	query := `SELECT id, owner_id, title, created_at, updated_at FROM conversations WHERE `
	args := []any{limit + 1}
	if owner != rag.AnyOwner {
		args = append(args, owner)
		query += fmt.Sprintf(`owner_id = $%d AND `, len(args))
	}
	if ok {
		args = append(args, d.ts(after.at), after.id)
		query += fmt.Sprintf(`(updated_at, id) < ($%d, $%d) AND `, len(args)-1, len(args))
	}
	query += `TRUE `
	query += `ORDER BY updated_at DESC, id DESC LIMIT $1`
	rows, err := d.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", wrap("list conversations", err)
	}
	defer rows.Close()
	var convs []rag.Conversation
	for rows.Next() {
		var c rag.Conversation
		if err := rows.Scan(&c.ID, &c.Owner, &c.Title, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}); err != nil {
			return nil, "", wrap("list conversations", err)
		}
		convs = append(convs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", wrap("list conversations", err)
	}
	next := ""
	if len(convs) > limit {
		convs = convs[:limit]
		last := convs[limit-1]
		next = cursorOf("c", last.UpdatedAt, last.ID)
	}
	return convs, next, nil
}

// Conversation returns the conversation and all its messages, oldest
// first; an unknown id is a NotFound error for field "id".
func (d *DB) Conversation(ctx context.Context, id string) (rag.Conversation, []rag.Message, error) {
	c := rag.Conversation{ID: id}
	err := d.sql.QueryRowContext(ctx, `SELECT owner_id, title, created_at, updated_at FROM conversations WHERE id = $1`, id).
		Scan(&c.Owner, &c.Title, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("id", "no conversation with id %q", id)
	}
	if err != nil {
		return rag.Conversation{}, nil, wrap("conversation", err)
	}
	msgs, err := d.queryMessages(ctx, d.sql, `WHERE conversation_id = $1 ORDER BY seq`, id)
	if err != nil {
		return rag.Conversation{}, nil, wrap("conversation", err)
	}
	return c, msgs, nil
}

// ConversationOwner returns the id of the user who owns the conversation
// ("" for one of open mode); an unknown id is a NotFound error for field "id".
func (d *DB) ConversationOwner(ctx context.Context, id string) (string, error) {
	var owner string
	err := d.sql.QueryRowContext(ctx, `SELECT owner_id FROM conversations WHERE id = $1`, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		err = rag.NotFound("id", "no conversation with id %q", id)
	}
	return owner, wrap("conversation owner", err)
}

// DeleteConversation removes the conversation and its messages; an unknown
// id is a NotFound error for field "id".
func (d *DB) DeleteConversation(ctx context.Context, id string) error {
	res, err := d.exec(ctx, `DELETE FROM conversations WHERE id = $1`, id)
	if err != nil {
		return wrap("delete conversation", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("delete conversation", err)
	} else if n == 0 {
		return wrap("delete conversation", rag.NotFound("id", "no conversation with id %q", id))
	}
	return nil
}

func (d *DB) queryMessages(ctx context.Context, q querier, where string, args ...any) ([]rag.Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, conversation_id, role, content, sources, status,
		finish_reason, run_id, timings, created_at FROM messages `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var msgs []rag.Message
	for rows.Next() {
		var m rag.Message
		var sources, timings []byte
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Role, &m.Content, &sources, &m.Status,
			&m.FinishReason, &m.RunID, &timings, timeCol{&m.CreatedAt}); err != nil {
			return nil, err
		}
		if sources != nil {
			if err := json.Unmarshal(sources, &m.Sources); err != nil {
				return nil, fmt.Errorf("message %s: sources: %w", m.ID, err)
			}
		}
		if timings != nil {
			m.Timings = new(rag.Timings)
			if err := json.Unmarshal(timings, m.Timings); err != nil {
				return nil, fmt.Errorf("message %s: timings: %w", m.ID, err)
			}
		}
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}

// shortTitle collapses the question's white space and cuts it to about
// titleRunes runes, at a word boundary when one is near, marking the cut
// with an ellipsis. It counts runes, so Hangul is never split mid-character.
func shortTitle(question string) string {
	s := strings.Join(strings.Fields(question), " ")
	if utf8.RuneCountInString(s) <= titleRunes {
		return s
	}
	r := []rune(s)[:titleRunes]
	if i := lastSpace(r); i >= titleRunes*2/3 {
		r = r[:i]
	}
	return strings.TrimRight(string(r), " ") + "…"
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ' ' {
			return i
		}
	}
	return -1
}
