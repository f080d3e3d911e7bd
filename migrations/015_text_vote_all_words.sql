-- A text of several words ("dog on a beach"): a photo's vote is what its
-- neighbours' captions say of all the words, not of any one. The mean of the
-- per-word votes let a photo whose neighbours say "dog" in every caption and
-- never "beach" tie with one whose neighbours say both half the time; the
-- shifted geometric mean (exp of the mean of ln(vote + shift), less shift)
-- rewards the words together: a word without a vote pulls the whole down, the
-- more the smaller the shift (shift → ∞ is the mean again; → 0 the plain
-- geometric mean, zero when any word has no vote). A single word's vote is
-- its own, exactly as before; no vote at all is 0. The shift was chosen on the training data
-- (docs/search.md, "Texts of several words").
--   text_vote          a photo's vote for a text: its stored votes for the
--                      text's keys that it has (a key without one counts 0),
--                      and the number of keys;
--   text_search_score  the vector side's score: the cosine + the vote weight
--                      × text_vote (replaces 011's, which took the votes' sum).
DROP FUNCTION text_search_score(float8, float8, int, float8);

CREATE FUNCTION text_vote(votes float8[], key_count int, shift float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN key_count <= 1 THEN coalesce(votes[1], 0)
    WHEN coalesce(cardinality(votes), 0) = 0 THEN 0
    ELSE exp(((SELECT coalesce(sum(ln(v + shift)), 0) FROM unnest(votes) AS v)
              + (key_count - coalesce(cardinality(votes), 0)) * ln(shift)) / key_count) - shift
  END;

CREATE FUNCTION text_search_score(cosine float8, votes float8[], key_count int, vote_weight float8, shift float8) RETURNS float8
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN cosine + vote_weight * text_vote(votes, key_count, shift);
