// Test stores: a fresh embedded PGlite (temp dir) or a fresh database on the
// PostgreSQL server named by TEST_DATABASE_URL (an admin URL, e.g.
// postgresql://postgres@127.0.0.1:5432/postgres). Without it, or on a server
// without pgvector, the server suites are reported as skipped with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe } from 'node:test';
import pg from 'pg';
import { INSTALL_PGVECTOR, unlessMissing } from './suites.js';

export type StoreKind = 'pglite' | 'postgres';

export const SERVER_ADMIN_URL = process.env.TEST_DATABASE_URL;

/** Why the server store cannot be tested here, or undefined when it can. */
async function serverStoreMissing(adminUrl: string | undefined): Promise<string | undefined> {
  if (!adminUrl) return 'TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)';
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const result = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    return result.rowCount === 0 ? `the server at TEST_DATABASE_URL has no pgvector; ${INSTALL_PGVECTOR}` : undefined;
  } catch (err) {
    return `the server at TEST_DATABASE_URL does not answer: ${(err as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const SERVER_STORE_MISSING = await serverStoreMissing(SERVER_ADMIN_URL);

/**
 * The stores to run a file's suites on. When the server store cannot be
 * tested, its suites of the calling file are reported as one skipped suite.
 */
export function storeKinds(): StoreKind[] {
  if (SERVER_STORE_MISSING === undefined) return ['pglite', 'postgres'];
  const suite = 'suites on the PostgreSQL server store';
  describe(suite, unlessMissing(suite, SERVER_STORE_MISSING), () => undefined);
  return ['pglite'];
}

export interface TestStore {
  kind: StoreKind;
  /** Environment for loadConfig that points at this store. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

let counter = 0;

export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The real assets where the person running the tests names them, as the server would read ASSETS_DIR. */
const ASSETS_ENV: Record<string, string> = process.env.ASSETS_DIR ? { ASSETS_DIR: process.env.ASSETS_DIR } : {};

export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'semsearch-test-'));
  if (kind === 'pglite') {
    return {
      kind,
      env: { ...ASSETS_ENV, DATA_DIR: dataDir },
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!SERVER_ADMIN_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `semsearch_test_${process.pid}_${Date.now()}_${counter++}`;
  const admin = new pg.Client({ connectionString: SERVER_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    kind,
    env: { ...ASSETS_ENV, DATA_DIR: dataDir, DATABASE_URL: databaseUrlFor(SERVER_ADMIN_URL, name) },
    async drop() {
      const client = new pg.Client({ connectionString: SERVER_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
