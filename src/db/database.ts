// Opens the store: embedded PGlite (default) or a PostgreSQL server. Both are
// reached through a `pg` Pool, so repositories have one code path.
import pg from 'pg';
import pgvector from 'pgvector';
import { BusyGate } from './busyGate.js';
import { FairQueue } from './fairQueue.js';
import { PgliteWorkerStore } from './pgliteWorkerStore.js';
import { budgetedPool, fairPool, unbudgetedPool } from './servingPool.js';
import { lockStore, type StoreLock } from './storeLock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export interface Database {
  kind: Config['database']['kind'];
  /** Writes and reads that must see them (seeding, addImage). */
  primary: pg.Pool;
  /** Query traffic: a read replica when DATABASE_READ_URL is set, else the primary. */
  reader: pg.Pool;
  /** Closed while the embedded store runs a statement that stops it answering (the word index build). */
  gate: BusyGate;
  /**
   * The pools questions use: refused at once while the gate is closed, instead
   * of waiting; bound to the calling request's time budget (servingPool.ts).
   */
  serving: { primary: pg.Pool; reader: pg.Pool };
  /**
   * Searches one batched statement may run (Word.similar, Image.similar,
   * Image.tags of many parents): the embedded store cannot stop a statement,
   * and other requests wait for the one running, so its statements stay short.
   */
  searchesPerStatement: number;
  close(): Promise<void>;
}

/** Each pool's connections and waiting queries now (the reader only when it is a replica's own pool). */
export function poolUse(db: Pick<Database, 'primary' | 'reader'>) {
  const use = (pool: pg.Pool, name: 'primary' | 'reader') => ({
    pool: name,
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options.max ?? 10,
  });
  return db.reader === db.primary ? [use(db.primary, 'primary')] : [use(db.primary, 'primary'), use(db.reader, 'reader')];
}

/** What a freshly opened store needs before use; the SQL lives in a repository, so the caller hands it in. */
export interface SchemaSetup {
  /** Brings the schema up to date (the migrations). */
  migrate(pool: pg.Pool): Promise<unknown>;
  /** pgvector's type oids, which differ between databases. */
  vectorTypeOids(pool: pg.Pool): Promise<{ typname: string; oid: number }[]>;
}

/**
 * Type parsers for pgvector's types, filled in once the extension exists (after
 * migrations). A pool-level `types` object applies to every client, including
 * ones already connected, unlike per-client registration.
 */
class VectorTypes {
  private parsers = new Map<number, (value: string) => unknown>();

  readonly getTypeParser = ((oid: number, format?: string) =>
    this.parsers.get(oid) ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser;

  async load(pool: pg.Pool, schema: SchemaSetup): Promise<void> {
    const rows = await schema.vectorTypeOids(pool);
    for (const { typname, oid } of rows) {
      if (typname === 'vector') this.parsers.set(oid, (value) => pgvector.fromSql(value));
      if (typname === 'halfvec') this.parsers.set(oid, (value) => pgvector.fromSql(value));
    }
  }
}

/** About 10 ms of the embedded store's time per statement (docs/operations.md, "Time budget and fair queue"). */
const EMBEDDED_SEARCHES_PER_STATEMENT = 8;

async function openPglite(
  dataDir: string,
  types: VectorTypes,
  opening?: PgliteWorkerStore,
): Promise<{ pool: pg.Pool; store: PgliteWorkerStore; lock: StoreLock }> {
  let lock: StoreLock;
  try {
    lock = lockStore(dataDir);
  } catch (err) {
    // Another process holds the store: the copy this one began to open must not go on.
    await opening?.close();
    throw err;
  }
  const store = opening?.dataDir === dataDir ? opening : new PgliteWorkerStore(dataDir);
  try {
    await store.ready;
  } catch (err) {
    lock.release();
    throw err;
  }
  // One PGlite instance runs one query at a time: one connection.
  const pool = new pg.Pool({ ...store.pgConfig(), max: 1, idleTimeoutMillis: 0, types } as pg.PoolConfig);
  return { pool, store, lock };
}

function openServerPool(url: string, max: number, types: VectorTypes): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000, types });
  // A checked-out client has no error listener of the pool's: a connection lost
  // between two queries of a transaction would be an uncaught exception that
  // ends the process. Its holder sees the failure on its next query instead.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Opens the store (or takes over an embedded one already being opened) and brings its schema up to date. */
export async function openDatabase(
  config: Config,
  logger: Logger,
  schema: SchemaSetup,
  opening?: PgliteWorkerStore,
): Promise<Database> {
  const db = config.database;
  const types = new VectorTypes();
  if (db.kind === 'pglite') {
    const { pool, store, lock } = await openPglite(db.dataDir, types, opening);
    await schema.migrate(pool);
    await types.load(pool, schema);
    const gate = new BusyGate();
    const serving = gate.guard(fairPool(pool, new FairQueue(1)));
    return {
      kind: 'pglite',
      primary: pool,
      reader: pool,
      gate,
      serving: { primary: serving, reader: serving },
      searchesPerStatement: EMBEDDED_SEARCHES_PER_STATEMENT,
      async close() {
        await pool.end();
        await store.close();
        lock.release();
      },
    };
  }
  const primary = openServerPool(db.url, db.poolSize, types);
  // A failed idle client must not crash the process (e.g. the server restarts).
  primary.on('error', (err) => logger.warn(`database connection lost: ${err.message}`));
  await schema.migrate(primary);
  await types.load(primary, schema);
  const reader = db.readUrl ? openServerPool(db.readUrl, db.poolSize, types) : primary;
  if (reader !== primary) reader.on('error', (err) => logger.warn(`replica connection lost: ${err.message}`));
  const tools = unbudgetedPool(primary);
  const serving = budgetedPool(primary);
  // A server builds indexes without blocking reads: its gate is never closed.
  return {
    kind: 'postgres',
    primary: tools,
    reader: reader === primary ? tools : unbudgetedPool(reader),
    gate: new BusyGate(),
    serving: { primary: serving, reader: reader === primary ? serving : budgetedPool(reader) },
    // A whole level in one statement (first is at most 100): the server runs other requests' statements beside it.
    searchesPerStatement: 100,
    async close() {
      await primary.end();
      if (reader !== primary) await reader.end();
    },
  };
}
