package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	v1 "ragchat/api/v1"
	"ragchat/auth"
	"ragchat/rag"
)

// PageInput selects one page of a list.
type PageInput struct {
	Cursor string `query:"cursor" doc:"next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// ConversationListInput selects one page of conversations.
type ConversationListInput struct {
	PageInput
	All bool `query:"all" doc:"Every user's conversations, not only the caller's: admins, when the server runs with --admin-read-conversations (403 otherwise)."`
}

// ConversationIDInput names a conversation.
type ConversationIDInput struct {
	ID string `path:"id"`
}

// ConversationListOutput is a page of conversations.
type ConversationListOutput struct {
	Body v1.ConversationList
}

// ConversationOutput is a conversation with its messages.
type ConversationOutput struct {
	Body v1.ConversationDetail
}

func (s *server) registerConversations(api huma.API) {
	register(s, api, accessChat, huma.Operation{
		OperationID: "list-conversations",
		Method:      http.MethodGet,
		Path:        "/api/v1/conversations",
		Summary:     "List conversations, newest first",
		Description: "One page of the caller's conversations, newest first. Pass the returned `next_cursor` as `cursor` for the next page; it is absent on the last page. A malformed cursor is 422.",
		Tags:        []string{"conversations"},
		Errors:      []int{http.StatusUnprocessableEntity},
	}, func(ctx context.Context, in *ConversationListInput) (*ConversationListOutput, error) {
		who := owner(ctx)
		if in.All {
			if p, ok := auth.PrincipalFrom(ctx); !ok || p.Role != auth.RoleAdmin || !s.cfg.AdminReadConversations {
				return nil, huma.Error403Forbidden("all=true needs an admin and a server started with --admin-read-conversations")
			}
			who = rag.AnyOwner
		}
		convs, next, err := s.deps.Conversations.ListConversations(ctx, who, in.Cursor, in.Limit)
		if err != nil {
			return nil, s.problem(ctx, err, "query.")
		}
		out := &ConversationListOutput{Body: v1.ConversationList{Conversations: make([]v1.Conversation, len(convs)), NextCursor: next}}
		for i, c := range convs {
			out.Body.Conversations[i] = wireConversation(c)
		}
		return out, nil
	})
	register(s, api, accessChat, huma.Operation{
		OperationID: "get-conversation",
		Method:      http.MethodGet,
		Path:        "/api/v1/conversations/{id}",
		Summary:     "Get a conversation with its messages",
		Description: "The conversation and all its messages in order: questions, and answers with their sources and status (streaming, complete, stopped, error). 404 when there is no such conversation, or it is another user's (admins may read them only when the server runs with --admin-read-conversations).",
		Tags:        []string{"conversations"},
		Errors:      []int{http.StatusNotFound},
	}, func(ctx context.Context, in *ConversationIDInput) (*ConversationOutput, error) {
		c, msgs, err := s.deps.Conversations.Conversation(ctx, in.ID)
		if err == nil && !s.mayRead(ctx, c.Owner) {
			err = rag.NotFound("id", "no conversation with id %q", in.ID)
		}
		if err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		out := &ConversationOutput{Body: v1.ConversationDetail{Conversation: wireConversation(c), Messages: make([]v1.Message, len(msgs))}}
		for i, m := range msgs {
			out.Body.Messages[i] = wireMessage(m)
		}
		return out, nil
	})
	register(s, api, accessChat, huma.Operation{
		OperationID:   "delete-conversation",
		Method:        http.MethodDelete,
		Path:          "/api/v1/conversations/{id}",
		Summary:       "Delete a conversation and its messages",
		Description:   "Deletes the conversation and its messages for good; 204 on success, 404 when there is no such conversation or it is another user's (admins may delete anyone's).",
		Tags:          []string{"conversations"},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound},
	}, func(ctx context.Context, in *ConversationIDInput) (*struct{}, error) {
		if err := s.ownedBy(ctx, in.ID, "id", s.mayModify); err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		if err := s.deps.Conversations.DeleteConversation(ctx, in.ID); err != nil {
			return nil, s.problem(ctx, err, "path.")
		}
		return nil, nil
	})
}

// ownedBy checks that the request may act on conversation id (named by
// field), by may; anything else is NotFound, so other users' ids stay
// indistinguishable from unknown ones.
func (s *server) ownedBy(ctx context.Context, id, field string, may func(context.Context, string) bool) error {
	who, err := s.deps.Conversations.ConversationOwner(ctx, id)
	if err == nil && !may(ctx, who) {
		err = rag.NotFound(field, "no conversation with id %q", id)
	}
	return err
}

func wireConversation(c rag.Conversation) v1.Conversation {
	return v1.Conversation{ID: c.ID, Title: c.Title, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func wireMessage(m rag.Message) v1.Message {
	out := v1.Message{
		ID:           m.ID,
		Role:         string(m.Role),
		Content:      m.Content,
		Status:       string(m.Status),
		FinishReason: m.FinishReason,
		RunID:        m.RunID,
		CreatedAt:    m.CreatedAt,
	}
	if len(m.Sources) > 0 {
		out.Sources = wireSources(m.Sources)
	}
	if m.Timings != nil {
		t := wireTimings(*m.Timings)
		out.Timings = &t
	}
	return out
}
