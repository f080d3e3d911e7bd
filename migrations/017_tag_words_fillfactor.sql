-- Room on every page of the tag vocabulary. It is rewritten whole
-- (TagVocabularyRepository.replaceTagVocabulary): rows inserted with their
-- tags, then fill_tag_synonyms() sets each row's synonyms, then the HNSW
-- index is built. With room on the page the synonyms update is HOT, and the
-- build indexes each word once instead of once per row version: 10,000 words
-- built in 3.7 s instead of 6.3-10.3 s on the embedded store.
ALTER TABLE tag_words SET (fillfactor = 50);
