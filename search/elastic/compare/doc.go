// Package compare holds only a test: the bundled sample corpus indexed into
// both search/embedded and search/elastic (on the stand-in) must give the
// same best documents for the sample questions, so that
// RAGCHAT_SEARCH=elastic answers like the default store. It lives apart
// from search/elastic so that the store's own tests do not depend on the
// chunker, the hash embedder and the embedded store.
package compare
