-- Reference photos: captioned photos that teach (their captions and
-- features are neighbours for tags and text search, and training data for the
-- image → word model) but are not the owner's photos: no listing or search
-- returns them unless it asks for them (includeReference).
ALTER TABLE images ADD COLUMN reference boolean NOT NULL DEFAULT false;

-- The owner's photos keep their own indexes: a default search (WHERE NOT
-- reference) stays an index lookup over them alone however many reference
-- photos are stored. The index of captioned photos (migration 008) keeps
-- every captioned photo, reference ones included: it is how they teach.
-- A search that includes reference photos scans the table exactly.
DROP INDEX images_embedding_hnsw;
CREATE INDEX images_embedding_hnsw ON images
  USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE NOT reference;
DROP INDEX images_text_embedding_hnsw;
CREATE INDEX images_text_embedding_hnsw ON images
  USING hnsw (text_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE NOT reference;
DROP INDEX images_captions_document;
CREATE INDEX images_captions_document ON images USING gin (captions_document) WHERE NOT reference;

-- Listing and counting the owner's photos (images, totalCount) without
-- reading the reference rows; and the reference rows alone (their removal).
CREATE INDEX images_owned ON images (id) WHERE NOT reference;
CREATE INDEX images_reference ON images (id) WHERE reference;

-- A reference photo needs no transfer of its own (nothing searches it by
-- default; its tags are found from its neighbours when asked): the transfer's
-- work list is the owner's photos whose transfer is not computed.
CREATE INDEX images_transfer_stale ON images (id) WHERE transfer_radius IS NULL AND NOT reference;
