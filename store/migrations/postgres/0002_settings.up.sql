-- Settings of the data set as a whole, such as which embedder made the
-- stored vectors (vectors of two embedders cannot be compared).
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
