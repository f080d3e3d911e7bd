// The pools questions are answered from, bound to the request each call is
// made for (requestScope.ts): no call starts once its request is stopped (past
// its time budget, or its client gone). The embedded store's one connection is
// shared out by the fair queue; a PostgreSQL server cancels a statement that
// runs past the budget itself (statement_timeout).
import type pg from 'pg';
import type { FairQueue, Turn } from './fairQueue.js';
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

/**
 * The embedded store: every query or checkout waits for its request's turn in
 * `queue` (one turn at a time). The store's one connection passes from turn to
 * turn without going back to `pool` while turns follow each other: a checkout
 * from pg-pool per statement cost its bookkeeping and a deferred hop (it hands
 * an idle client over on the next tick), about a sixth of the CPU of a request
 * at 16 clients. It goes back whenever no turn follows, or a caller of `pool`
 * itself (the seed) waits for it, so those still get it between two turns.
 */
export function fairPool(pool: pg.Pool, queue: FairQueue): pg.Pool {
  /** A checkout of `pool`, with the release pg-pool gave it (each checkout has its own). */
  type Checkout = { client: pg.PoolClient; handBack: (err?: Error | boolean) => void };
  let held: Checkout | undefined;
  /** Ends the turn; a connection held for a next turn that did not come (its request stopped) goes back. */
  const releaseTurn = (turn: Turn) => {
    turn.release();
    if (held && !queue.busy) {
      const idle = held;
      held = undefined;
      idle.handBack();
    }
  };
  /** Ends the turn; the connection is held for the next one, or handed back (dropped when `broken`). */
  const endTurn = (checkout: Checkout, turn: Turn, broken?: Error | boolean) => {
    if (!broken && queue.hasWaiters && pool.waitingCount === 0) held = checkout;
    else checkout.handBack(broken);
    releaseTurn(turn);
  };
  /** The turn's connection when one is held (no await: the common case under load), else undefined. */
  const takeHeld = (turn: Turn): Checkout | undefined => {
    try {
      // The request may have stopped while it waited for its turn.
      currentScope()?.check();
    } catch (err) {
      releaseTurn(turn);
      throw err;
    }
    const kept = held;
    held = undefined;
    return kept;
  };
  /** A checkout of `pool` for the turn. */
  const checkOut = async (turn: Turn): Promise<Checkout> => {
    try {
      const client = await pool.connect();
      return { client, handBack: client.release.bind(client) };
    } catch (err) {
      releaseTurn(turn);
      throw err;
    }
  };
  const query = async (...args: unknown[]) => {
    const turn = await queue.acquire(currentScope());
    const checkout = takeHeld(turn) ?? (await checkOut(turn));
    try {
      const result = await (checkout.client.query as (...a: unknown[]) => Promise<unknown>)(...args);
      endTurn(checkout, turn);
      return result;
    } catch (err) {
      endTurn(checkout, turn, brokenBy(err));
      throw err;
    }
  };
  const connect = async () => {
    const turn = await queue.acquire(currentScope());
    const checkout = takeHeld(turn) ?? (await checkOut(turn));
    let ended = false;
    // The turn ends with the caller's release.
    checkout.client.release = (err?: Error | boolean) => {
      if (ended) return;
      ended = true;
      endTurn(checkout, turn, err);
    };
    return checkout.client;
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
