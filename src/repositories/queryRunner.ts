// How repositories talk to a pool beyond a plain query: nearest-neighbour
// queries with their index search settings, and counts.
import type pg from 'pg';

export type HnswSettings = {
  efSearch: number;
  /** pgvector 0.8 iterative scans: keep scanning until LIMIT rows pass a filter. */
  iterative?: 'off' | 'relaxed_order' | 'strict_order';
  maxScanTuples?: number;
  /**
   * false: no sequential scans, so a small table is still searched through
   * its HNSW index (the planner prefers a scan of 1,000 rows, which computes
   * every distance: several times slower for 768-d vectors).
   */
  seqScan?: boolean;
  /**
   * true: the prepared statement's generic plan at every execution. PostgreSQL
   * plans a statement anew for each execution while its generic plan's
   * estimated cost is above the custom plans', and planning a large statement
   * costs more than running it on a small store.
   */
  genericPlan?: boolean;
};

/** A query run often: prepared once per connection under `name`, then only bound and executed. */
export interface HotQuery {
  name: string;
  text: string;
}

// What each pooled connection has SET for its session. Settings are applied
// only when a query needs other ones, so a steady stream of the same kind of
// query costs one round trip each instead of BEGIN, SET LOCAL, query, COMMIT.
const sessionSettings = new WeakMap<pg.PoolClient, string>();

function settingsSql(settings: HnswSettings): string {
  return [
    `SET hnsw.ef_search = ${Math.trunc(settings.efSearch)}`,
    `SET hnsw.iterative_scan = ${settings.iterative ?? 'off'}`,
    // 20,000 is pgvector's default.
    `SET hnsw.max_scan_tuples = ${Math.trunc(settings.maxScanTuples ?? 20_000)}`,
    `SET enable_seqscan = ${settings.seqScan === false ? 'off' : 'on'}`,
    `SET plan_cache_mode = ${settings.genericPlan ? 'force_generic_plan' : 'auto'}`,
  ].join('; ');
}

export async function queryWithHnsw<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  settings: HnswSettings,
  query: HotQuery,
  values: unknown[],
): Promise<R[]> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const wanted = settingsSql(settings);
    if (sessionSettings.get(client) !== wanted) {
      sessionSettings.delete(client);
      await client.query(wanted);
      sessionSettings.set(client, wanted);
    }
    const result = await client.query<R>({ name: query.name, text: query.text, values });
    return result.rows;
  } catch (err) {
    // A connection that failed mid-way is not reused with unknown settings.
    broken = isConnectionError(err) ? (err as Error) : undefined;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The number a `SELECT count(*)::int AS n …` query answers. */
export async function countOf(pool: pg.Pool, sql: string, values: unknown[] = []): Promise<number> {
  const result = await pool.query<{ n: number }>(sql, values);
  return result.rows[0]!.n;
}

/** Errors without a SQLSTATE come from the connection, not from the statement. */
function isConnectionError(err: unknown): boolean {
  return typeof (err as { code?: unknown }).code !== 'string' || (err as { code: string }).code.startsWith('08');
}
