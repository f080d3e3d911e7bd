-- Keyword search over captions: each image's captions as one full-text
-- document (the 'english' configuration: stemmed, stop words dropped), kept
-- up to date by PostgreSQL itself whenever `captions` changes, with a GIN index.
-- array_to_string is only STABLE in general (it formats any element type);
-- for text[] it is immutable, which a generated column needs.
CREATE FUNCTION captions_document(captions text[]) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT to_tsvector('english'::regconfig, array_to_string(captions, E'\n')) $$;

ALTER TABLE images ADD COLUMN captions_document tsvector
  GENERATED ALWAYS AS (captions_document(captions)) STORED;

CREATE INDEX images_captions_document ON images USING gin (captions_document);
