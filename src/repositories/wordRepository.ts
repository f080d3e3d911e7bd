// All SQL about GloVe words.
import type pg from 'pg';
import { withTransaction } from '../lib/transaction.js';
import { countOf, queryWithHnsw } from './queryRunner.js';
import { toFloat32, vectorParam } from './sqlParams.js';

export interface WordIndexParams {
  m: number;
  efConstruction: number;
}

/**
 * HNSW build parameters for words, per store (docs/word-index.md has the
 * measurements). The server's were chosen on all 341k words for query cost at
 * recall@10 >= 0.98: m=24/ef_construction=128 reaches 0.986 at ef_search 200.
 * The embedded store builds on one thread while a first start waits for it, so
 * it takes the fastest build that still reaches recall@10 >= 0.98 on its 100k
 * words (`npm run bench -- --word-index`): m=16/ef_construction=40 reaches 0.986
 * or better at ef_search 400 and builds in about a quarter of m=24/128's time.
 * m=12/32 builds in two thirds of its CPU time but had lower recall at every
 * ef_search in two builds. Each goes
 * with the store's default WORD_EF_SEARCH (src/config.ts).
 */
export const WORD_INDEX = {
  postgres: { m: 24, efConstruction: 128 },
  pglite: { m: 16, efConstruction: 40 },
} as const satisfies Record<string, WordIndexParams>;

const WORD_INDEX_NAME = 'words_embedding_hnsw';

// $1 a stored word: neighbours of its vector, itself and $4 left out; no rows if it is unknown.
// ORDER BY the alias: repeating the expression would look the word up twice.
const NEAREST_TO_STORED_WORD = {
  name: 'words_nearest_to_stored',
  text: `SELECT text, distance FROM (
           SELECT text, embedding <=> (SELECT embedding FROM words WHERE text = $1) AS distance FROM words
           ORDER BY distance LIMIT $2
         ) nearest WHERE distance IS NOT NULL AND text <> $1 AND text <> ALL($4::text[]) ORDER BY distance, text LIMIT $3`,
};

// NEAREST_TO_STORED_WORD after ($5 distance, $6 text) of an earlier page, in
// (distance, text) order: the same distances, computed the same way.
const NEAREST_TO_STORED_WORD_AFTER = {
  name: 'words_nearest_to_stored_after',
  text: `SELECT text, distance FROM (
           SELECT text, embedding <=> (SELECT embedding FROM words WHERE text = $1) AS distance FROM words
           WHERE (embedding <=> (SELECT embedding FROM words WHERE text = $1)) > $5::float8
              OR ((embedding <=> (SELECT embedding FROM words WHERE text = $1)) = $5::float8 AND text > $6::text)
           ORDER BY distance LIMIT $2
         ) nearest WHERE distance IS NOT NULL AND text <> $1 AND text <> ALL($4::text[]) ORDER BY distance, text LIMIT $3`,
};

// Word.similar of many words in one statement: NEAREST_TO_STORED_WORD per row
// of $1 (a LATERAL join); `ord` says whose a row is (1-based).
const NEAREST_TO_STORED_WORDS = {
  name: 'words_nearest_to_stored_many',
  text: `SELECT parent.ord::int AS ord, nearest.text, nearest.distance
         FROM unnest($1::text[]) WITH ORDINALITY AS parent(word, ord)
         CROSS JOIN LATERAL (
           SELECT text, distance FROM (
             SELECT text, embedding <=> (SELECT embedding FROM words WHERE text = parent.word) AS distance FROM words
             ORDER BY distance LIMIT $2
           ) candidates WHERE distance IS NOT NULL AND text <> parent.word AND text <> ALL($4::text[])
           ORDER BY distance, text LIMIT $3
         ) nearest
         ORDER BY parent.ord, nearest.distance, nearest.text`,
};

const NEAREST_WORDS = {
  name: 'words_nearest',
  text: `SELECT text, distance FROM (
           SELECT text, embedding <=> $1::vector AS distance FROM words
           ORDER BY embedding <=> $1::vector LIMIT $3
         ) nearest WHERE text <> ALL($2::text[]) ORDER BY distance, text LIMIT $4`,
};

// A later page: only words after ($5 distance, $6 text) in (distance, text)
// order, so the index scan (iterative, strict order) walks on past the first pages.
const NEAREST_WORDS_AFTER = {
  name: 'words_nearest_after',
  text: `SELECT text, distance FROM (
           SELECT text, embedding <=> $1::vector AS distance FROM words
           WHERE (embedding <=> $1::vector) > $5::float8 OR ((embedding <=> $1::vector) = $5::float8 AND text > $6::text)
           ORDER BY embedding <=> $1::vector LIMIT $3
         ) nearest WHERE text <> ALL($2::text[]) ORDER BY distance, text LIMIT $4`,
};

export interface NewWord {
  /** 0 = most frequent. */
  rank: number;
  text: string;
  vector: Float32Array;
}

/** pg_stat_progress_create_index for the word index build (PostgreSQL server only). */
export interface IndexBuildProgress {
  phase: string;
  tuplesDone: number;
  tuplesTotal: number;
}

export interface WordMatchRow {
  text: string;
  distance: number;
}

export class WordRepository {
  constructor(
    private readonly primary: pg.Pool,
    private readonly reader: pg.Pool,
    readonly index: WordIndexParams,
  ) {}

  async count(): Promise<number> {
    return countOf(this.primary, 'SELECT count(*)::int AS n FROM words');
  }

  /** The next rank to load: words are inserted in rank order, a batch per transaction. */
  /**
   * The first rank of the load not stored yet: words load in rank order, and
   * the few a seed needs beyond WORDS_LIMIT are stored past a gap (seeds/words.ts).
   */
  async nextRank(): Promise<number> {
    const result = await this.primary.query<{ next: number }>(
      `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM words WHERE rank = 0) THEN 0
              ELSE (SELECT min(w.rank) + 1 FROM words w
                    WHERE NOT EXISTS (SELECT 1 FROM words n WHERE n.rank = w.rank + 1)) END::int AS next`,
    );
    return result.rows[0]!.next;
  }

  async insertBatch(words: readonly NewWord[]): Promise<void> {
    await this.primary.query(
      `INSERT INTO words (rank, text, embedding)
       SELECT * FROM unnest($1::int[], $2::text[], $3::vector[])
       ON CONFLICT DO NOTHING`,
      [words.map((w) => w.rank), words.map((w) => w.text), words.map((w) => vectorParam(w.vector))],
    );
  }

  /** True when the index exists with this repository's parameters. */
  async hasIndex(): Promise<boolean> {
    const result = await this.primary.query<{ reloptions: string[] | null }>(
      `SELECT reloptions FROM pg_class WHERE relname = $1 AND relkind = 'i'`,
      [WORD_INDEX_NAME],
    );
    const options = new Set(result.rows[0]?.reloptions ?? []);
    return options.has(`m=${this.index.m}`) && options.has(`ef_construction=${this.index.efConstruction}`);
  }

  async dropIndex(): Promise<void> {
    await this.primary.query(`DROP INDEX IF EXISTS ${WORD_INDEX_NAME}`);
  }

  /** Builds the index; one built with other parameters is replaced. */
  async createIndex(maintenanceWorkMem: string): Promise<void> {
    if (await this.hasIndex()) return;
    await this.dropIndex();
    const client = await this.primary.connect();
    try {
      await client.query(`SET maintenance_work_mem = '${maintenanceWorkMem}'`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${WORD_INDEX_NAME} ON words
         USING hnsw (embedding vector_cosine_ops)
         WITH (m = ${Math.trunc(this.index.m)}, ef_construction = ${Math.trunc(this.index.efConstruction)})`,
      );
      await client.query('RESET maintenance_work_mem');
    } finally {
      client.release();
    }
  }

  /** On-disk size of the index, 0 when there is none. */
  async indexBytes(): Promise<number> {
    const result = await this.primary.query<{ bytes: string | null }>(
      'SELECT pg_relation_size(to_regclass($1)) AS bytes',
      [WORD_INDEX_NAME],
    );
    return Number(result.rows[0]?.bytes ?? 0);
  }

  /** Progress of an index build on `words` that another connection runs; undefined when none is running. */
  async indexBuildProgress(): Promise<IndexBuildProgress | undefined> {
    const result = await this.reader.query<IndexBuildProgress>(
      `SELECT phase, tuples_done::float8 AS "tuplesDone", tuples_total::float8 AS "tuplesTotal"
       FROM pg_stat_progress_create_index WHERE relid = 'words'::regclass`,
    );
    return result.rows[0];
  }

  /** Fresh planner statistics after a bulk load. */
  async analyze(): Promise<void> {
    await this.primary.query('ANALYZE words');
  }

  async findVectors(texts: readonly string[]): Promise<Map<string, Float32Array>> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM words WHERE text = ANY($1::text[])',
      [texts],
    );
    return new Map(result.rows.map((row) => [row.text, toFloat32(row.embedding)]));
  }

  /** The stored words among `texts` with their vectors, most frequent first (the tag vocabulary's order). */
  async vectorsInRankOrder(texts: readonly string[]): Promise<{ text: string; vector: Float32Array }[]> {
    const result = await this.reader.query<{ text: string; embedding: number[] }>(
      'SELECT text, embedding FROM words WHERE text = ANY($1::text[]) ORDER BY rank',
      [texts],
    );
    return result.rows.map((row) => ({ text: row.text, vector: toFloat32(row.embedding) }));
  }

  /** Approximate nearest words by cosine distance, through the HNSW index. */
  async nearest(vector: ArrayLike<number>, exclude: readonly string[], first: number, efSearch: number) {
    return queryWithHnsw<WordMatchRow>(
      this.reader,
      { efSearch: Math.max(efSearch, first + exclude.length) },
      NEAREST_WORDS,
      [vectorParam(vector), exclude, first + exclude.length, first],
    );
  }

  /** nearest, after the word `after` of an earlier page in (distance, text) order. */
  async nearestAfter(
    vector: ArrayLike<number>,
    exclude: readonly string[],
    first: number,
    efSearch: number,
    after: { distance: number; text: string },
  ): Promise<WordMatchRow[]> {
    return queryWithHnsw<WordMatchRow>(
      this.reader,
      { efSearch: Math.max(efSearch, first + exclude.length), iterative: 'strict_order' },
      NEAREST_WORDS_AFTER,
      [vectorParam(vector), exclude, first + exclude.length, first, after.distance, after.text],
    );
  }

  /** Nearest words to a stored word, without it and `exclude`; empty when the word is not stored. */
  async nearestToStoredWord(
    text: string,
    first: number,
    efSearch: number,
    exclude: readonly string[] = [],
    after?: { distance: number; text: string },
  ): Promise<WordMatchRow[]> {
    const fetched = first + 1 + exclude.length;
    if (after) {
      // A later page: the index scan walks on (strictly in order) past the words before it.
      return queryWithHnsw<WordMatchRow>(
        this.reader,
        { efSearch: Math.max(efSearch, fetched), iterative: 'strict_order' },
        NEAREST_TO_STORED_WORD_AFTER,
        [text, fetched, first, exclude, after.distance, after.text],
      );
    }
    return queryWithHnsw<WordMatchRow>(this.reader, { efSearch: Math.max(efSearch, fetched) }, NEAREST_TO_STORED_WORD, [
      text,
      fetched,
      first,
      exclude,
    ]);
  }

  /** nearestToStoredWord for several words in one statement, in their order; [] for a word not stored. */
  async nearestToStoredWords(texts: readonly string[], first: number, efSearch: number, exclude: readonly string[] = []): Promise<WordMatchRow[][]> {
    const fetched = first + 1 + exclude.length;
    const rows = await queryWithHnsw<WordMatchRow & { ord: number }>(
      this.reader,
      { efSearch: Math.max(efSearch, fetched) },
      NEAREST_TO_STORED_WORDS,
      [texts, fetched, first, exclude],
    );
    const byParent = texts.map((): WordMatchRow[] => []);
    for (const { ord, ...match } of rows) byParent[ord - 1]!.push(match);
    return byParent;
  }

  /** Exact nearest words (sequential scan): the ground truth for recall. */
  async nearestExact(vector: ArrayLike<number>, first: number): Promise<WordMatchRow[]> {
    return withTransaction(this.reader, async (client) => {
      await client.query('SET LOCAL enable_indexscan = off');
      const result = await client.query<WordMatchRow>(
        `SELECT text, embedding <=> $1::vector AS distance FROM words
         ORDER BY embedding <=> $1::vector LIMIT $2`,
        [vectorParam(vector), first],
      );
      return result.rows;
    });
  }

  async sample(n: number, maxRank: number): Promise<string[]> {
    const result = await this.reader.query<{ text: string }>(
      'SELECT text FROM words WHERE rank < $2 ORDER BY md5(text) LIMIT $1',
      [n, maxRank],
    );
    return result.rows.map((row) => row.text);
  }

  /** The alphabetic words, most frequent first: what the tag vocabulary rule chooses from. */
  async alphabeticWords(): Promise<string[]> {
    const result = await this.reader.query<{ text: string }>(`SELECT text FROM words WHERE text ~ '^[a-z]{2,}$' ORDER BY rank`);
    return result.rows.map((row) => row.text);
  }
}
