package app

import "strings"

// Languages of the UI; the same codes go to the server as lang.
const (
	langKO = "ko"
	langEN = "en"
)

// uiLang picks the UI language from the browser's language list
// (navigator.languages): the first Korean or English entry wins; anything
// else falls back to English.
func uiLang(prefs ...string) string {
	for _, p := range prefs {
		p = strings.ToLower(strings.TrimSpace(p))
		switch {
		case p == langKO || strings.HasPrefix(p, "ko-"):
			return langKO
		case p == langEN || strings.HasPrefix(p, "en-"):
			return langEN
		}
	}
	return langEN
}

// msgKey names a UI string.
type msgKey int

const (
	msgTitle msgKey = iota
	msgNewChat
	msgHistory
	msgNoHistory
	msgPlaceholder
	msgSend
	msgStop
	msgRetry
	msgSearching
	msgGenerating
	msgReconnecting
	msgStopped
	msgDone
	msgUnreachable
	msgOffline
	msgRequestFailed
	msgTooLong
	msgSources
	msgYou
	msgAssistant
	msgSwitchLang
	msgDelete
	msgEmpty
	msgLoadFailed
	msgCheckAgain
	msgTransportSSE
	msgTransportREST
	msgSeconds
	msgCount // keep last
)

// messages holds every UI string in English and Korean.
var messages = [msgCount][2]string{
	msgTitle:         {"ragchat", "ragchat"},
	msgNewChat:       {"New conversation", "새 대화"},
	msgHistory:       {"Conversations", "대화 목록"},
	msgNoHistory:     {"No conversations yet.", "아직 대화가 없습니다."},
	msgPlaceholder:   {"Ask a question about the documents…", "문서에 대해 질문하세요…"},
	msgSend:          {"Send", "보내기"},
	msgStop:          {"Stop", "중지"},
	msgRetry:         {"Retry", "다시 시도"},
	msgSearching:     {"Searching documents...", "문서 검색 중..."},
	msgGenerating:    {"Generating answer...", "답변 생성 중..."},
	msgReconnecting:  {"Connection lost, reconnecting...", "연결이 끊겨 다시 연결하는 중..."},
	msgStopped:       {"Stopped", "중지됨"},
	msgDone:          {"Done", "완료"},
	msgUnreachable:   {"The server is unreachable. Your messages will work again once it is back.", "서버에 연결할 수 없습니다. 서버가 다시 응답하면 이어서 사용할 수 있습니다."},
	msgOffline:       {"You are offline.", "오프라인 상태입니다."},
	msgRequestFailed: {"The request failed.", "요청을 처리하지 못했습니다."},
	msgTooLong:       {"The question is too long (%d characters at most).", "질문이 너무 깁니다 (최대 %d자)."},
	msgSources:       {"Sources", "출처"},
	msgYou:           {"You", "나"},
	msgAssistant:     {"Assistant", "도우미"},
	msgSwitchLang:    {"한국어", "English"},
	msgDelete:        {"Delete", "삭제"},
	msgEmpty:         {"Ask anything about the documents. Answers cite their sources as [n].", "문서에 대해 무엇이든 물어보세요. 답변은 출처를 [n]으로 표시합니다."},
	msgLoadFailed:    {"Could not load the conversation.", "대화를 불러오지 못했습니다."},
	msgCheckAgain:    {"Check again", "다시 확인"},
	msgTransportSSE:  {"SSE", "SSE"},
	msgTransportREST: {"REST", "REST"},
	msgSeconds:       {"%.1f s", "%.1f초"},
}

// tr returns the string k in lang.
func tr(lang string, k msgKey) string {
	if lang == langKO {
		return messages[k][1]
	}
	return messages[k][0]
}
