// Test stores: a fresh embedded PGlite (temp dir) or a fresh database on the
// PostgreSQL server named by TEST_DATABASE_URL (an admin URL, e.g.
// postgresql://postgres@127.0.0.1:5432/postgres). Without it, server tests skip.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type StoreKind = 'pglite' | 'postgres';

export const SERVER_ADMIN_URL = process.env.TEST_DATABASE_URL;

export function storeKinds(): StoreKind[] {
  return SERVER_ADMIN_URL ? ['pglite', 'postgres'] : ['pglite'];
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

export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'semsearch-test-'));
  if (kind === 'pglite') {
    return {
      kind,
      env: { DATA_DIR: dataDir },
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
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrlFor(SERVER_ADMIN_URL, name) },
    async drop() {
      const client = new pg.Client({ connectionString: SERVER_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
