package store

import "database/sql"

// SetChunkHook makes every chunk insert of d call hook(batch) first; an
// error from it fails the insert, which lets tests break a SaveDocument
// after its document row (and earlier chunk batches) were written.
func SetChunkHook(d *DB, hook func(batch int) error) { d.chunkHook = hook }

// ChunkBatch is how many chunk rows one INSERT carries.
const ChunkBatch = chunkBatch

// SQLOf is d's database handle, for tests that ask SQLite about its file.
func SQLOf(d *DB) *sql.DB { return d.sql }
