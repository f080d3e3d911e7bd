-- What tagsForImage reads of a stored photo's transfer, kept in the photo's
-- own row, which the query reads anyway, instead of joined from its
-- neighbours' rows at query time (docs/performance.md, "What moved each number"):
--   transfer_caption_words   its k neighbours' caption_words, concatenated
--                            nearest first (tags vote with them);
--   transfer_caption_ends    where each neighbour's words end in that array
--                            (one per neighbour, nearest first);
--   transfer_caption_counts  each neighbour's number of captions.
-- All three are written by the same refresh as transfer_neighbours and go stale
-- with it (the transfer_radius rule of 008): a neighbour's captions change
-- only with a write that marks this photo stale.
ALTER TABLE images ADD COLUMN transfer_caption_words text[];
ALTER TABLE images ADD COLUMN transfer_caption_ends int[];
ALTER TABLE images ADD COLUMN transfer_caption_counts int[];

-- Stored transfers get theirs from what they were computed from (a neighbour
-- missing now would have marked the photo stale).
UPDATE images g SET transfer_caption_words = s.words, transfer_caption_ends = s.ends, transfer_caption_counts = s.counts
FROM (
  SELECT g.id,
         coalesce(array_agg(w.word ORDER BY n.place, w.position) FILTER (WHERE w.word IS NOT NULL), '{}') AS words,
         (SELECT coalesce(array_agg(e.ends ORDER BY e.place), '{}') FROM (
            SELECT n2.place, sum(cardinality(c2.caption_words)) OVER (ORDER BY n2.place)::int AS ends
            FROM unnest(g.transfer_neighbours) WITH ORDINALITY AS n2(id, place) JOIN images c2 ON c2.id = n2.id
          ) e) AS ends,
         (SELECT coalesce(array_agg(cardinality(c3.captions) ORDER BY n3.place), '{}')
          FROM unnest(g.transfer_neighbours) WITH ORDINALITY AS n3(id, place) JOIN images c3 ON c3.id = n3.id) AS counts
  FROM images g
  CROSS JOIN LATERAL unnest(g.transfer_neighbours) WITH ORDINALITY AS n(id, place)
  JOIN images c ON c.id = n.id
  LEFT JOIN LATERAL unnest(c.caption_words) WITH ORDINALITY AS w(word, position) ON true
  WHERE g.transfer_radius IS NOT NULL
  GROUP BY g.id
) s
WHERE g.id = s.id;
UPDATE images SET transfer_caption_words = '{}', transfer_caption_ends = '{}', transfer_caption_counts = '{}'
WHERE transfer_radius IS NOT NULL AND transfer_caption_words IS NULL;
