DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE chunks;
DROP TABLE documents;
