// Moves the photos table's live rows from its tail into the pages a VACUUM freed before it, a few rows a statement.
import type pg from 'pg';

/** Rows one statement moves: each move adds its row to every index (three HNSW graphs), so a statement stays short. */
export const ROWS_PER_MOVE = 10;

/**
 * Passes over the tail: a row whose page still has room is rewritten on that
 * page (the same as before), so a few stay behind each pass (100 photos: 16
 * of 100 after the first, none after the second).
 */
const MOVE_PASSES = 4;

/**
 * Rows moved between VACUUMs: each moved row leaves a dead copy in every
 * index, and a VACUUM's time grows with them (2,000 took at most 0.8 s,
 * 14,000 took 27.7 s at load 15): many thousands are freed a part at a time.
 * Not fewer: each VACUUM records the tail pages the moves just emptied as
 * free, and later moves take them (100 a VACUUM left 1,000 photos' tail full).
 */
const MOVED_PER_VACUUM = 1_000;

/** Moved only when the table spans more than this many times the pages its rows fill: fewer pages would not pay. */
const WORTH_MOVING = 1.25;

export interface TailMove {
  /** Rows moved (each statement's rows rewritten), 0 when the table had no tail worth moving. */
  moved: number;
  /** The page every row now comes before, when some were moved. */
  livePages: number;
  /** The longest single statement, in ms: what a question asked meanwhile waited for at most. */
  longestMs: number;
  /** The longest of its VACUUMs, in ms (part of longestMs). */
  longestVacuumMs: number;
}

/** The table's pages, and how many of them hold a live row: as many pages as the rows need, at most. */
async function tableShape(pool: pg.Pool): Promise<{ pages: number; livePages: number }> {
  const result = await pool.query<{ pages: number; live_pages: number }>(
    `SELECT (pg_relation_size('images') / current_setting('block_size')::int)::int AS pages,
            count(DISTINCT (ctid::text::point)[0])::int AS live_pages
     FROM images`,
  );
  const row = result.rows[0]!;
  return { pages: row.pages, livePages: row.live_pages };
}

/**
 * The rows that sit at or beyond page `livePages` (as many pages as the rows
 * need, at most), rewritten in short statements, then a VACUUM that frees
 * their dead copies and returns the emptied tail. The caller's VACUUM must
 * come first: an UPDATE takes the free space map's pages, and only a VACUUM
 * records the pages that dead rows left free. Any rewrite would do: `SET id
 * = id` changes nothing a reader sees.
 *
 * Why: on the embedded store (no autovacuum) the seed rewrites every photo
 * row in several phases, and the live rows end at the tail of a table five
 * times their size (100 photos: 269 pages, the rows in its last 57). A
 * plain VACUUM returns only empty tail pages; VACUUM FULL rewrites the whole
 * table but holds the store's one connection for seconds. Where the rows
 * lie changes the plans: the planner costs a scan by the table's pages, and
 * on 269 pages chose a bitmap scan for similarImages(id) that cost 1.08x the
 * sequential scan of the compacted 50 pages.
 */
export async function moveTailRowsForward(pool: pg.Pool, rowsPerMove = ROWS_PER_MOVE): Promise<TailMove> {
  const { pages, livePages } = await tableShape(pool);
  const none = { moved: 0, livePages, longestMs: 0, longestVacuumMs: 0 };
  if (livePages === 0 || pages <= livePages * WORTH_MOVING) return none;
  const tail = `(${livePages},0)`;
  let moved = 0;
  let longestMs = 0;
  let vacuumedAt = 0;
  let longestVacuumMs = 0;
  const timed = async <T>(statement: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await statement();
    longestMs = Math.max(longestMs, performance.now() - started);
    return result;
  };
  // INDEX_CLEANUP ON: with dead rows on under 2% of the pages a VACUUM skips the indexes and leaves
  // each dead row's line pointer, and a page holding one is not returned (8,000 rows: no page was).
  const vacuum = async () => {
    const started = performance.now();
    await timed(() => pool.query('VACUUM (INDEX_CLEANUP ON) images'));
    longestVacuumMs = Math.max(longestVacuumMs, performance.now() - started);
  };
  for (let pass = 0; pass < MOVE_PASSES; pass++) {
    const ids = (await pool.query<{ id: string }>('SELECT id FROM images WHERE ctid >= $1::tid', [tail])).rows.map((row) => row.id);
    if (ids.length === 0) break;
    for (let start = 0; start < ids.length; start += rowsPerMove) {
      // Still at the tail: a row a question's write moved meanwhile is left where it is.
      const result = await timed(() =>
        pool.query('UPDATE images SET id = id WHERE id = ANY($1::text[]) AND ctid >= $2::tid', [ids.slice(start, start + rowsPerMove), tail]),
      );
      moved += result.rowCount ?? 0;
      if (moved - vacuumedAt >= MOVED_PER_VACUUM) {
        vacuumedAt = moved;
        await vacuum();
      }
    }
  }
  // The last rows' dead copies freed, and the emptied tail returned.
  await vacuum();
  return { moved, livePages, longestMs, longestVacuumMs };
}
