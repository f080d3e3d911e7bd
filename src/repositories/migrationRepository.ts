// Applies the numbered SQL files in migrations/ in order, each in its own
// transaction, and records them so a re-run applies nothing twice.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { inTransaction } from '../lib/transaction.js';
import type { Logger } from '../logger.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
// Any constant: serialises concurrent starts against one server.
const MIGRATION_LOCK_KEY = 7_413_829;

export function listMigrationFiles(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => /^\d+_.+\.sql$/.test(name))
    .sort();
}

export async function appliedMigrations(pool: pg.Pool): Promise<string[]> {
  const exists = await pool.query<{ present: boolean }>(
    "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
  );
  if (!exists.rows[0]?.present) return [];
  const result = await pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  return result.rows.map((row) => row.name);
}

/** Returns the names of the migrations applied by this call. */
export async function applyMigrations(pool: pg.Pool, logger: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const client = await pool.connect();
  const appliedNow: string[] = [];
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const name of listMigrationFiles(dir)) {
      await inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const done = await client.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]);
        if (done.rowCount !== 0) return;
        await client.query(readFileSync(path.join(dir, name), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        appliedNow.push(name);
        logger.info(`migration applied: ${name}`);
      }).catch((err: Error) => {
        throw new Error(`migration ${name} failed: ${err.message}`);
      });
    }
  } finally {
    client.release();
  }
  return appliedNow;
}

/** The oids of pgvector's types, which differ between databases. */
export async function findVectorTypeOids(pool: pg.Pool): Promise<{ typname: string; oid: number }[]> {
  const result = await pool.query<{ typname: string; oid: number }>(
    "SELECT typname, oid::int AS oid FROM pg_type WHERE typname IN ('vector', 'halfvec')",
  );
  return result.rows;
}
