-- The one home of the synonyms rule: a vocabulary word's synonyms are the
-- words of its tag other than the tag's name, most frequent first. Seeding
-- calls it whenever it writes the tags; run here once for the stores that
-- gained the column in 009 (on a store that already had them: the same values).
CREATE OR REPLACE FUNCTION fill_tag_synonyms() RETURNS void LANGUAGE sql AS $$
  UPDATE tag_words w SET synonyms = ARRAY(
    SELECT s.text FROM tag_words s
    WHERE s.tag = COALESCE(w.tag, w.text) AND s.text <> COALESCE(w.tag, w.text) ORDER BY s.rank);
$$;

SELECT fill_tag_synonyms();
