-- GloVe word vectors. `rank` is GloVe's frequency order (0 = most frequent),
-- which also makes seeding resumable: a re-run continues after max(rank).
-- The HNSW index is built by the seeder after the bulk load (much faster than
-- maintaining it row by row); see wordRepository.ensureIndex.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE words (
  rank integer PRIMARY KEY,
  text text NOT NULL UNIQUE,
  embedding vector(100) NOT NULL
);

-- Which long jobs have finished (words seeded, images embedded, model trained).
CREATE TABLE seed_state (
  phase text PRIMARY KEY,
  completed_at timestamptz NOT NULL DEFAULT now(),
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);
