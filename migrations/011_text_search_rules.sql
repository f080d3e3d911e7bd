-- The one home of text search's two rules: the store applies them to its
-- rows, and the evaluation runs them on its in-memory photos through the
-- store (EvalTextSearchRepository), so neither is written twice.
--   searched_text_vector  what the vector side searches: the model's unit
--                         vector plus the transferred one (already weighted
--                         against it), normalised; the model's alone without
--                         a transfer;
--   text_search_score     a photo's vector-side score: its searched vector's
--                         cosine + the vote weight × the mean of its stored
--                         votes over the text's keys, given their sum (a key
--                         it has no vote for adds nothing) and their count.
-- SQL-standard bodies are parsed here, once: a generated column or a restore
-- calls them whatever the session's search_path. Both are inlined into the
-- statements that call them, which plan as before.
CREATE FUNCTION searched_text_vector(word vector, transfer vector) RETURNS vector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN transfer IS NULL THEN word ELSE l2_normalize(word + transfer) END;

CREATE FUNCTION text_search_score(cosine float8, vote_sum float8, key_count int, vote_weight float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN cosine + vote_weight * coalesce(vote_sum, 0) / greatest(key_count, 1);

-- 008 wrote the mix inline. A generated column's expression cannot change in
-- place, so the column is added again over the function (PostgreSQL computes
-- every row anew: the same values, still whenever either vector changes) and
-- its index, dropped with it, is built again.
ALTER TABLE images DROP COLUMN text_embedding;
ALTER TABLE images ADD COLUMN text_embedding vector(100)
  GENERATED ALWAYS AS (searched_text_vector(word_embedding, transfer_embedding)) STORED;
CREATE INDEX images_text_embedding_hnsw ON images
  USING hnsw (text_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
