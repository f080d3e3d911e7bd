-- Caption transfer (src/embedding/captionTransfer.ts): a photo is described
-- by the captions of its nearest captioned photos as well as by the image →
-- word model, and a captioned photo teaches its neighbours as soon as it is
-- stored. Per photo:
--   caption_words        each caption's distinct content words, concatenated
--                        (a word occurs once per caption that uses it);
--   caption_embedding    the unit GloVe vector of its captions' words, NULL
--                        when it has no caption with a known word: a photo
--                        counts as captioned (a neighbour to others) only then;
--   transfer_embedding   its nearest captioned photos' caption vectors, mixed
--                        by similarity and already weighted against the model
--                        (NULL: no captioned neighbour);
--   transfer_radius      the image distance to the farthest of those
--                        neighbours: a captioned photo stored, changed or
--                        deleted within it changes this photo's transfer.
--                        NULL: not computed yet (the transfer phase, or the
--                        write that marked it stale, computes it).
ALTER TABLE images ADD COLUMN caption_words text[] NOT NULL DEFAULT '{}';
ALTER TABLE images ADD COLUMN caption_embedding vector(100);
ALTER TABLE images ADD COLUMN transfer_embedding vector(100);
ALTER TABLE images ADD COLUMN transfer_radius float8;

-- What the vector side of imagesForText searches: the model's vector and the
-- transferred one, summed and normalised by PostgreSQL whenever either
-- changes, so a row is never searched with a stale mix.
ALTER TABLE images ADD COLUMN text_embedding vector(100) GENERATED ALWAYS AS (
  CASE WHEN transfer_embedding IS NULL THEN word_embedding
       ELSE l2_normalize(word_embedding + transfer_embedding) END
) STORED;

CREATE INDEX images_text_embedding_hnsw ON images
  USING hnsw (text_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
DROP INDEX images_word_embedding_hnsw;

-- The nearest captioned photos, through an index of the captioned ones alone
-- (a collection of mostly uncaptioned photos would make a filtered scan of
-- the full index walk far).
CREATE INDEX images_captioned_embedding_hnsw ON images
  USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)
  WHERE caption_embedding IS NOT NULL;

-- The largest radius bounds which photos a captioned write can change.
CREATE INDEX images_transfer_radius ON images (transfer_radius);
