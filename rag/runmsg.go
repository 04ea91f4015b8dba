package rag

// User-facing texts of run errors, per language. They never carry internal
// details; those go to the log.
type runMessage int

const (
	msgInternal runMessage = iota
	msgAbandoned
	msgShutdown
	msgTimeout
	msgSearch
	msgUnavailable
	msgUpstream
	msgInterrupted
)

var runMessages = map[string][]string{
	"en": {
		msgInternal:    "Something went wrong on the server. Please try again.",
		msgAbandoned:   "The answer was cancelled because no one was listening.",
		msgShutdown:    "The server is restarting. Please ask again in a moment.",
		msgTimeout:     "The language model took too long to answer. Please try again.",
		msgSearch:      "The document search failed. Please try again.",
		msgUnavailable: "The language model is unavailable right now. Please try again shortly.",
		msgUpstream:    "The language model returned an error.",
		msgInterrupted: "The connection to the language model was lost in the middle of the answer. The text so far is kept; please try again.",
	},
	"ko": {
		msgInternal:    "서버에서 문제가 발생했습니다. 다시 시도해 주세요.",
		msgAbandoned:   "듣는 사람이 없어 답변 생성을 취소했습니다.",
		msgShutdown:    "서버가 다시 시작되는 중입니다. 잠시 후 다시 질문해 주세요.",
		msgTimeout:     "언어 모델의 응답이 너무 늦습니다. 다시 시도해 주세요.",
		msgSearch:      "문서 검색에 실패했습니다. 다시 시도해 주세요.",
		msgUnavailable: "지금은 언어 모델을 사용할 수 없습니다. 잠시 후 다시 시도해 주세요.",
		msgUpstream:    "언어 모델이 오류를 반환했습니다.",
		msgInterrupted: "답변 도중 언어 모델과의 연결이 끊겼습니다. 지금까지의 내용은 남아 있으니 다시 시도해 주세요.",
	},
}

func localize(lang string, m runMessage) string {
	texts, ok := runMessages[lang]
	if !ok {
		texts = runMessages["en"]
	}
	return texts[m]
}
