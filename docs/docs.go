// Package docs holds ragchat's user documentation, written in Markdown, each
// topic in English (NAME.en.md) and Korean (NAME.ko.md). The same files are
// the sample corpus: the server ingests Sample on first start, when it has no
// documents yet, so that a fresh install answers questions about itself.
package docs

import "embed"

// Sample is every Markdown file of this directory.
//
//go:embed *.md
var Sample embed.FS
