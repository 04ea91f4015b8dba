package rag

// CleanRewriteForTest exposes cleanRewrite to the external tests.
var CleanRewriteForTest = cleanRewrite
