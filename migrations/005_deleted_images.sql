-- Images a person deleted (deleteImage). The seed reads it so that a deleted
-- dataset image stays deleted: it skips ids and content hashes listed here.
-- Uploads are recorded too, which keeps one rule for every deletion.
CREATE TABLE deleted_images (
  image_id text PRIMARY KEY,
  content_hash text NOT NULL,
  source text NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX deleted_images_content_hash ON deleted_images (content_hash);
