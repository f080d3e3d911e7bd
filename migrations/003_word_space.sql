-- Images in GloVe word space: the projector's L2-normalised 100-d output per
-- image (NULL until the model phase has projected it), the tag vocabulary,
-- and which images the stored model was trained on or held out from.
ALTER TABLE images ADD COLUMN word_embedding vector(100);

CREATE INDEX images_word_embedding_hnsw ON images
  USING hnsw (word_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- The words tags are chosen from: a copy of their GloVe vectors, so the tag
-- search scans thousands of rows rather than the whole `words` table.
CREATE TABLE tag_words (
  text text PRIMARY KEY,
  rank integer NOT NULL,
  embedding vector(100) NOT NULL
);

CREATE INDEX tag_words_embedding_hnsw ON tag_words
  USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- The split of the trained model: held_out = false rows were its training set.
CREATE TABLE training_split (
  image_id text PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  held_out boolean NOT NULL
);
