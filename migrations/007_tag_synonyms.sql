-- Folded tags: every vocabulary word names the tag it is shown as (aeroplane
-- for airplane, gray for grey, dog for dogs); the tag's other words are its
-- synonyms. NULL until the model phase folds the vocabulary: the word is its own tag.
ALTER TABLE tag_words ADD COLUMN tag text;

CREATE INDEX tag_words_tag ON tag_words (tag);
