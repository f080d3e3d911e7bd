// Which long jobs (phases) have finished; lets re-runs skip finished work.
import type pg from 'pg';

export class SeedStateRepository {
  constructor(private readonly pool: pg.Pool) {}

  async completed(): Promise<Map<string, Record<string, unknown>>> {
    const result = await this.pool.query<{ phase: string; details: Record<string, unknown> }>(
      'SELECT phase, details FROM seed_state',
    );
    return new Map(result.rows.map((row) => [row.phase, row.details]));
  }

  async markDone(phase: string, details: Record<string, unknown>): Promise<void> {
    await this.pool.query(
      `INSERT INTO seed_state (phase, details) VALUES ($1, $2)
       ON CONFLICT (phase) DO UPDATE SET details = EXCLUDED.details, completed_at = now()`,
      [phase, JSON.stringify(details)],
    );
  }

  async clear(phase: string): Promise<void> {
    await this.pool.query('DELETE FROM seed_state WHERE phase = $1', [phase]);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}
