-- Images: one row per image with its MobileNet embedding, and the original
-- bytes in a separate table. Bytes live in the database (not in files under
-- DATA_DIR) so that a row and its bytes are written in one transaction (both
-- or neither), and replicas and backups carry them; a separate table keeps the
-- wide bytea out of the rows that searches and listings scan.
CREATE TABLE images (
  -- Dataset images keep their file stem (2008_000116); uploads get one derived
  -- from their content hash.
  id text PRIMARY KEY,
  category text,
  captions text[] NOT NULL DEFAULT '{}',
  width integer NOT NULL CHECK (width > 0),
  height integer NOT NULL CHECK (height > 0),
  -- sha256 of the bytes, hex: a re-run or a re-upload never embeds twice.
  content_hash text NOT NULL UNIQUE,
  -- 'pascal' for the dataset, 'upload' for addImage.
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  embedding vector(768) NOT NULL
);

CREATE TABLE image_files (
  image_id text PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
  mime_type text NOT NULL,
  bytes bytea NOT NULL
);

-- Maintained row by row: at this size (thousands) incremental inserts are
-- cheap, and addImage must be searchable at once.
CREATE INDEX images_embedding_hnsw ON images USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX images_category ON images (category, id);
