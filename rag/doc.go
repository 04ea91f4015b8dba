// Package rag is the domain of ragchat: documents, chunks, passages, answer
// runs and their events, and the pipeline that turns a question into a
// streamed, cited answer.
//
// It imports no other package of the project and no SDK. Adapters (search
// stores, LLM clients, SQL persistence) implement the small interfaces
// declared here (Store, Embedder, Generator, Conversations, DocumentSaver);
// the wiring happens in package main.
package rag
