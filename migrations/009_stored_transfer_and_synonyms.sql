-- Each photo keeps what its transfer was computed from and what text search
-- needs of it, so neither reads the index of captioned photos per query:
--   transfer_neighbours, transfer_distances
--                  its k nearest captioned photos (ids, cosine distances,
--                  nearest first): tagsForImage on a stored photo reads them
--                  with its row;
--   transfer_votes its neighbours' caption words (plural forms folded) with
--                  their vote, the softmax weight × share of captions summed
--                  over the neighbours: imagesForText adds the vote for the
--                  text's words to the vector's score.
-- All three change exactly when the transferred vector does: the
-- transfer_radius rule of 008 marks them stale, and the refresh writes them.
ALTER TABLE images ADD COLUMN transfer_neighbours text[];
ALTER TABLE images ADD COLUMN transfer_distances float8[];

CREATE TABLE transfer_votes (
  image_id text NOT NULL REFERENCES images (id) ON DELETE CASCADE,
  word text NOT NULL,
  vote real NOT NULL,
  PRIMARY KEY (image_id, word)
);
-- A text's word walks its photos best voted first.
CREATE INDEX transfer_votes_word ON transfer_votes (word, vote DESC);

-- Every vocabulary word's synonyms (its tag's other words, most frequent
-- first), written with the tags: a tag query reads them with the word
-- instead of running one lookup per candidate word. Filled by 010's
-- fill_tag_synonyms(), which the next migration runs on this store.
ALTER TABLE tag_words ADD COLUMN synonyms text[] NOT NULL DEFAULT '{}';

-- Stores from before this migration compute them at the next start.
UPDATE images SET transfer_radius = NULL WHERE transfer_radius IS NOT NULL;
