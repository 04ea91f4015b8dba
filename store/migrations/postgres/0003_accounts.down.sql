DROP INDEX conversations_owner;
ALTER TABLE conversations DROP COLUMN owner_id;
DROP TABLE api_keys;
DROP TABLE sessions;
DROP TABLE users;
