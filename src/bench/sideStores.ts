// The store each side of a comparison runs on, seeded by that side's own first
// start with the same settings: an embedded store in a data folder of its own
// (kept in a cache folder between runs when asked, keyed by commit, side and
// settings), or a fresh database on the PostgreSQL server of an admin URL,
// dropped afterwards.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ServerAdminRepository } from '../repositories/serverAdminRepository.js';
import type { CodeVersion } from './refCheckout.js';

export type Side = 'this' | 'against';

export interface SideStore {
  /** What the side's server reads to find its store. */
  env: Record<string, string>;
  /** Seeded by an earlier run (from the cache folder). */
  reused: boolean;
  /** The PostgreSQL backends serving the side (their CPU is PostgreSQL's share). */
  backendPids?: () => Promise<number[]>;
  dispose(): Promise<void>;
}

export interface StorePlan {
  kind: 'pglite' | 'postgres';
  /** An admin URL of the PostgreSQL server (kind postgres). */
  adminUrl?: string;
  /** Keeps embedded stores here between runs. */
  cacheDir?: string;
  /** Names the seed settings both sides share (part of the cache key). */
  settingsKey: string;
}

export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function openSideStore(plan: StorePlan, side: Side, code: CodeVersion): Promise<SideStore> {
  const scratch = mkdtempSync(path.join(tmpdir(), `semsearch-bench-${side}-`));
  const removeScratch = () => rmSync(scratch, { recursive: true, force: true });
  if (plan.kind === 'postgres') {
    if (!plan.adminUrl) throw new Error('--store postgres needs DATABASE_URL: an admin URL of the server, each side gets a fresh database on it');
    const admin = new ServerAdminRepository(new pg.Pool({ connectionString: plan.adminUrl, max: 1 }));
    const database = `semsearch_bench_${side}_${process.pid}_${Date.now()}`;
    await admin.createDatabase(database);
    return {
      env: { DATA_DIR: scratch, DATABASE_URL: databaseUrlFor(plan.adminUrl, database) },
      reused: false,
      backendPids: () => admin.backendPids(database),
      async dispose() {
        await admin.dropDatabase(database).finally(() => admin.close());
        removeScratch();
      },
    };
  }
  // Uncommitted code may seed differently from its commit: it is never cached.
  if (!plan.cacheDir || code.dirty) return { env: { DATA_DIR: scratch }, reused: false, dispose: async () => removeScratch() };
  removeScratch();
  const dataDir = path.join(path.resolve(plan.cacheDir), `${code.commit.slice(0, 12)}-${side}-${plan.settingsKey}`);
  const reused = existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true });
  return { env: { DATA_DIR: dataDir }, reused, dispose: async () => undefined };
}
