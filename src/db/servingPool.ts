// The pools questions are answered from, bound to the request each call is
// made for (requestScope.ts): no call starts once its request is stopped (past
// its time budget, or its client gone). The embedded store's one connection is
// shared out by the fair queue; a PostgreSQL server cancels a statement that
// runs past the budget itself (statement_timeout).
import type pg from 'pg';
import type { FairQueue } from './fairQueue.js';
import { currentScope } from './requestScope.js';

type Query = pg.Pool['query'];

/** A proxy of `pool` whose query and connect are replaced; everything else is the pool's own. */
function replacing(pool: pg.Pool, query: (...args: unknown[]) => Promise<unknown>, connect: () => Promise<pg.PoolClient>): pg.Pool {
  return new Proxy(pool, {
    get: (target, property, receiver) => {
      if (property === 'query') return query;
      if (property === 'connect') return connect;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Errors without a SQLSTATE come from the connection: such a client is not reused. */
const brokenBy = (err: unknown) => (typeof (err as { code?: unknown }).code === 'string' ? undefined : (err as Error));

/** One query on a checked-out client, released (or dropped when the connection broke) after. */
async function onClient(connect: () => Promise<pg.PoolClient>, args: unknown[]): Promise<unknown> {
  const client = await connect();
  try {
    const result = await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    client.release();
    return result;
  } catch (err) {
    client.release(brokenBy(err));
    throw err;
  }
}

/** The embedded store: every query or checkout waits for its request's turn in `queue`. */
export function fairPool(pool: pg.Pool, queue: FairQueue): pg.Pool {
  const query = async (...args: unknown[]) => {
    const release = await queue.acquire(currentScope());
    try {
      currentScope()?.check();
      return await (pool.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      release();
    }
  };
  const connect = async () => {
    const release = await queue.acquire(currentScope());
    let client: pg.PoolClient;
    try {
      currentScope()?.check();
      client = await pool.connect();
    } catch (err) {
      release();
      throw err;
    }
    // pg-pool gives each checkout its own release: the turn ends with it.
    const releaseClient = client.release.bind(client);
    client.release = (err?: Error | boolean) => {
      releaseClient(err);
      release();
    };
    return client;
  };
  return replacing(pool, query as Query, connect);
}

/** What each PostgreSQL session's statement_timeout was set to here; absent: the server's default. */
const sessionTimeouts = new WeakMap<pg.PoolClient, number>();

/** Sets the session's statement_timeout only when it differs: a steady stream of requests costs no extra round trip. */
async function withStatementTimeout(client: pg.PoolClient, ms: number | undefined): Promise<void> {
  if (sessionTimeouts.get(client) === ms) return;
  sessionTimeouts.delete(client);
  await client.query(ms === undefined ? 'RESET statement_timeout' : `SET statement_timeout = ${Math.trunc(ms)}`);
  if (ms !== undefined) sessionTimeouts.set(client, ms);
}

/**
 * A PostgreSQL pool whose sessions carry the statement_timeout `wanted`
 * names for the calling request (undefined: the server's default). Serving
 * and seeding share the pool's connections, so both sides set what they need.
 */
function timedPool(pool: pg.Pool, wanted: () => number | undefined): pg.Pool {
  const connect = async () => {
    const scope = currentScope();
    scope?.check();
    const client = await pool.connect();
    try {
      // It may have waited for a free connection meanwhile.
      scope?.check();
      await withStatementTimeout(client, wanted());
    } catch (err) {
      client.release(brokenBy(err));
      throw err;
    }
    return client;
  };
  return replacing(pool, ((...args: unknown[]) => onClient(connect, args)) as Query, connect);
}

/** Questions on a PostgreSQL server: a budgeted request's statements are cancelled past its budget. */
export function budgetedPool(pool: pg.Pool): pg.Pool {
  return timedPool(pool, () => {
    const budget = currentScope()?.budgetMs ?? 0;
    return budget > 0 ? budget : undefined;
  });
}

/** Seeding and tools on a PostgreSQL server: no statement_timeout, whatever a request left on the session. */
export function unbudgetedPool(pool: pg.Pool): pg.Pool {
  return timedPool(pool, () => undefined);
}
