-- Each photo keeps the neighbours its transfer was computed from (ids and
-- cosine distances, nearest first), so tagsForImage on a stored photo reads
-- them with its row instead of searching the index of captioned photos on
-- every call. They change exactly when the transferred vector does: the
-- transfer_radius rule of 008 marks both stale, and the refresh writes both.
ALTER TABLE images ADD COLUMN transfer_neighbours text[];
ALTER TABLE images ADD COLUMN transfer_distances float8[];

-- Stores from before this migration compute them at the next start.
UPDATE images SET transfer_radius = NULL WHERE transfer_radius IS NOT NULL;
