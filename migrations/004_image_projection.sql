-- The searched image vector is learned (src/embedding/imageProjection.ts):
-- `features` keeps the image model's own output, `embedding` becomes the
-- features with the projection fitted on the training split applied, and
-- `projection_version` says which fit made it (NULL: none, embedding = features).
ALTER TABLE images ADD COLUMN features vector(768);
-- The searched vector (3 KB) stays inside the row: out of line (TOAST), every
-- scan of it pays for a second lookup; an exact scan of 1000 images took
-- 5.8 ms that way and 1.2 ms inline. The rewrite moves stored ones inline.
-- The features are read only by seeding and training: out of line, so the
-- rows a search scans stay small (one searched vector each).
ALTER TABLE images ALTER COLUMN embedding SET STORAGE PLAIN;
ALTER TABLE images ALTER COLUMN features SET STORAGE EXTERNAL;
UPDATE images SET features = embedding::text::vector, embedding = embedding::text::vector;
ALTER TABLE images ALTER COLUMN features SET NOT NULL;
ALTER TABLE images ADD COLUMN projection_version text;

-- The one current fit. Stored in the database rather than under DATA_DIR so
-- that every server (and replica) reads the fit that made the vectors it
-- searches. Rows are re-projected in batches after a new fit and record the
-- fit's version, so an interrupted run resumes where it stopped.
CREATE TABLE image_projection (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version text NOT NULL,
  dims integer NOT NULL,
  out_dims integer NOT NULL,
  mean float8[] NOT NULL,
  -- dims × out_dims, row-major: the discriminant directions and their orthonormal basis.
  weights float8[] NOT NULL,
  basis float8[] NOT NULL,
  weight float8 NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
