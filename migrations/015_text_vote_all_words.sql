-- A text of several words ("dog on a beach"): a photo's vote is what its
-- neighbours' captions say of all the words, not of any one. The mean of the
-- per-word votes let a photo whose neighbours say "dog" in every caption and
-- never "beach" outvote one whose neighbours say both in 45% of their
-- captions; the shifted geometric mean (exp of the mean of ln(vote + shift),
-- less shift) takes the words together: a word without a vote pulls the whole
-- down, the more the smaller the shift (shift → ∞ is the mean again; → 0 the
-- plain geometric mean, zero when any word has no vote). A single word's
-- vote is its own, exactly as before; no vote at all is 0. The shift was
-- chosen on the training data (docs/search.md, "Texts of several words").
--   text_vote          a photo's vote for a text of key_count keys, from the
--                      aggregates of its stored votes for the keys it has (a
--                      key without one counts 0): their sum, the sum of
--                      ln(vote + shift) and their number;
--   text_search_score  the vector side's score: the cosine + the vote weight
--                      × that vote (replaces 011's, which took the votes' sum
--                      and divided it by the number of keys).
-- Plain expressions, so PostgreSQL inlines both into the statements that call
-- them (a function body with a sub-select is run row by row).
DROP FUNCTION text_search_score(float8, float8, int, float8);

CREATE FUNCTION text_vote(vote_sum float8, log_sum float8, voted int, key_count int, shift float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN key_count <= 1 THEN coalesce(vote_sum, 0)
    WHEN coalesce(voted, 0) = 0 THEN 0
    ELSE exp((log_sum + (key_count - voted) * ln(shift)) / key_count) - shift
  END;

CREATE FUNCTION text_search_score(cosine float8, vote float8, vote_weight float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN cosine + vote_weight * vote;
