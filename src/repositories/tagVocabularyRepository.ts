// The tag vocabulary for seeding and evaluation: its upkeep (which words it
// holds, each word's tag, the synonyms by migrations/010's fill_tag_synonyms)
// and its reading, whole or nearest to a word-space vector.
import pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { countOf, queryWithHnsw } from './queryRunner.js';
import { toFloat32, vectorParam, type VectorColumn } from './sqlParams.js';
import type { TagRow, TagWordRow } from './tagRows.js';

export type { TagRow, TagWordRow } from './tagRows.js';

const NEAREST_TAGS = {
  name: 'tags_nearest',
  text: `SELECT c.text, c.tag, c.distance, c.embedding AS vector, c.synonyms FROM (
           SELECT text, tag, synonyms, embedding, embedding <=> $1::vector AS distance FROM tag_words
           ORDER BY embedding <=> $1::vector LIMIT $2
         ) c ORDER BY c.distance, c.text`,
};

/** Photos' tag words hold each word's tag and synonyms (migrations/016): a new vocabulary or new tags make them stale. */
const CLEAR_TRANSFER_TAG_WORDS = 'UPDATE images SET transfer_tag_words = NULL WHERE transfer_tag_words IS NOT NULL';

/** tag_words' HNSW indexes as the catalog holds them: migration 003 stays the one home of their parameters. */
const VECTOR_INDEXES = `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam
  WHERE x.indrelid = 'tag_words'::regclass AND a.amname = 'hnsw'`;

/**
 * Runs a rewrite of every vocabulary row without the HNSW index, then builds
 * it again: 10,000 rows written through the index (inserted, then updated
 * twice for tags and synonyms) held the embedded store for 19.3 s, the build
 * takes 3.7 s (migrations/017). Inside the caller's transaction, so a failure
 * leaves the index as it was; readers of tag_words wait for the commit.
 */
async function withoutVectorIndexes<T>(client: pg.PoolClient, rewrite: () => Promise<T>): Promise<T> {
  const indexes = (await client.query<{ name: string; definition: string }>(VECTOR_INDEXES)).rows;
  for (const { name } of indexes) await client.query(`DROP INDEX ${pg.escapeIdentifier(name)}`);
  const result = await rewrite();
  for (const { definition } of indexes) await client.query(definition);
  return result;
}

export class TagVocabularyRepository {
  constructor(
    private readonly primary: pg.Pool,
    private readonly reader: pg.Pool,
  ) {}

  async countTagWords(): Promise<number> {
    return countOf(this.primary, 'SELECT count(*)::int AS n FROM tag_words');
  }

  /**
   * Replaces the tag vocabulary with the stored words `texts` (chosen by the
   * vocabulary rule), each with its tag from `tagOf` (words not named keep
   * their own) and the synonyms that follow, in one transaction.
   */
  async replaceTagVocabulary(texts: readonly string[], tagOf: ReadonlyMap<string, string> = new Map()): Promise<number> {
    return withTransaction(this.primary, (client) =>
      withoutVectorIndexes(client, async () => {
        // Not DELETE: the index build below would index the deleted rows too.
        await client.query('TRUNCATE tag_words');
        const result = await client.query(
          `INSERT INTO tag_words (text, rank, embedding, tag)
           SELECT w.text, w.rank, w.embedding, t.tag FROM words w
           LEFT JOIN unnest($2::text[], $3::text[]) AS t(text, tag) ON t.text = w.text
           WHERE w.text = ANY($1::text[])`,
          [texts, [...tagOf.keys()], [...tagOf.values()]],
        );
        await client.query('SELECT fill_tag_synonyms()');
        // The tag words photos keep from their transfer (migrations/016) are of the old vocabulary: the transfer phase fills them again.
        await client.query(CLEAR_TRANSFER_TAG_WORDS);
        await client.query('ANALYZE tag_words');
        return result.rowCount ?? 0;
      }),
    );
  }

  /** The whole tag vocabulary with vectors, in rank order (training, evaluation). */
  async tagVocabulary(): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM tag_words ORDER BY rank',
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** The whole vocabulary as tags are served: each word's tag and the tag's other words (evaluation). */
  async foldedTagVocabulary(): Promise<TagWordRow[]> {
    const result = await this.reader.query<VectorColumn<TagWordRow, 'vector'>>(
      `SELECT w.text, w.tag, w.embedding AS vector, w.synonyms FROM tag_words w ORDER BY w.rank`,
    );
    return result.rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }

  /** Nearest vocabulary words to a word-space vector, by cosine distance, with their tags (evaluation: the model's tags alone). */
  async nearestTags(vector: ArrayLike<number>, first: number, efSearch: number): Promise<TagRow[]> {
    const rows = await queryWithHnsw<VectorColumn<TagRow, 'vector'>>(
      this.reader,
      { efSearch: Math.max(efSearch, first) },
      NEAREST_TAGS,
      [vectorParam(vector), first],
    );
    return rows.map((row) => ({ ...row, vector: toFloat32(row.vector) }));
  }
}
