// Runs a query with per-transaction search settings (SET LOCAL), which must
// share one connection and transaction with the query they tune.
import type pg from 'pg';

export type HnswSettings = {
  efSearch: number;
  /** pgvector 0.8 iterative scans: keep scanning until LIMIT rows pass a filter. */
  iterative?: 'off' | 'relaxed_order' | 'strict_order';
  maxScanTuples?: number;
};

export async function queryWithHnsw<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  settings: HnswSettings,
  text: string,
  values: unknown[],
): Promise<R[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL hnsw.ef_search = ${Math.trunc(settings.efSearch)}`);
    if (settings.iterative) await client.query(`SET LOCAL hnsw.iterative_scan = ${settings.iterative}`);
    if (settings.maxScanTuples) {
      await client.query(`SET LOCAL hnsw.max_scan_tuples = ${Math.trunc(settings.maxScanTuples)}`);
    }
    const result = await client.query<R>(text, values);
    await client.query('COMMIT');
    return result.rows;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
