package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	v1 "ragchat/api/v1"
)

// envMaxMessageChars is the app environment variable (go-app's Env, read
// with app.Getenv in the browser) that carries Config.MaxMessageChars.
const envMaxMessageChars = "RAGCHAT_MAX_MESSAGE_CHARS"

// maxMessageChars is the server's limit on a question, passed in the app's
// environment by Handler (Config.MaxMessageChars); the API's default when
// it is missing or unreadable (an app.js cached before the limit was sent).
func maxMessageChars() int {
	if n, err := strconv.Atoi(app.Getenv(envMaxMessageChars)); err == nil && n > 0 {
		return n
	}
	return v1.DefaultMaxMessageChars
}
