-- Duplicates: each photo's perceptual hash (dHash of a 9×8 greyscale
-- thumbnail, as displayed and as its mirror image), and the pairs of stored
-- photos that are copies of one photo, found when the later of the two is
-- stored (its nearest photos by searched vector, checked by features and
-- hash: src/embedding/perceptualHash.ts). A query reads the pairs, never
-- compares all photos. Rows stored before this migration get their hashes
-- and pairs from the seed's duplicates phase (it runs at every start).
-- pixel_hash: sha256 of the decoded pixels as displayed, so the same image in
-- other bytes (re-encoded losslessly, other metadata) is an exact copy.
ALTER TABLE images ADD COLUMN dhash bit(64), ADD COLUMN dhash_mirrored bit(64), ADD COLUMN pixel_hash text;

-- The backfill's work list: empty once every photo is hashed.
CREATE INDEX images_unhashed ON images (id) WHERE dhash IS NULL;

CREATE TABLE image_duplicates (
  image_id text NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  duplicate_id text NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  -- Cosine distance of the image model's features.
  feature_distance float8 NOT NULL,
  -- dHash bits that differ, the nearer of plain and mirrored.
  hash_distance integer NOT NULL,
  -- The same decoded pixels.
  same_pixels boolean NOT NULL,
  PRIMARY KEY (image_id, duplicate_id),
  -- Each pair once.
  CHECK (image_id < duplicate_id)
);

CREATE INDEX image_duplicates_duplicate ON image_duplicates (duplicate_id);
