// A database outage is answered as a coded, retryable error instead of a raw
// driver message, and the server keeps running: the pool reconnects by itself
// once the database is back.
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DatabaseBusyError } from '../db/busyGate.js';
import { RequestStoppedError } from '../db/requestScope.js';
import { timeoutMessage } from '../graphql/requestBudget.js';

/** Socket errors and SQLSTATEs that mean "the database cannot answer now", not "the query is wrong". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, recovering)
  '08000',
  '08001',
  '08003',
  '08006', // connection exceptions
  '53300', // too_many_connections
]);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  return (code !== undefined && UNAVAILABLE_CODES.has(code)) || UNAVAILABLE_MESSAGE.test(err.message);
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable right now; retry in a few seconds.';

/** Why the database cannot answer now, for people; undefined when it is not that kind of error. */
export function unavailableMessage(err: unknown): string | undefined {
  // Fresh: the estimate left is worked out at the moment of the answer.
  if (err instanceof DatabaseBusyError) return new DatabaseBusyError(err.work).message;
  return isDatabaseUnavailable(err) ? DATABASE_UNAVAILABLE_MESSAGE : undefined;
}

/** SQLSTATE query_canceled: the server's statement_timeout stopped a statement of a request past its budget. */
const QUERY_CANCELED = '57014';

/** A request stopped by its budget or its client leaving: TIMEOUT or CLIENT_CLOSED_REQUEST, never a bug of ours. */
export function stoppedAnswer(err: unknown): { code: string; message: string } | undefined {
  if (err instanceof RequestStoppedError) {
    return err.reason === 'timeout'
      ? { code: 'TIMEOUT', message: timeoutMessage(err.budgetMs) }
      : { code: 'CLIENT_CLOSED_REQUEST', message: 'the client disconnected before the answer: the request was stopped' };
  }
  if ((err as { code?: unknown } | undefined)?.code === QUERY_CANCELED) {
    return { code: 'TIMEOUT', message: 'the request ran past its time budget and was stopped by the database' };
  }
  return undefined;
}

/**
 * Apollo's formatError: outages and a busy embedded store become
 * SERVICE_UNAVAILABLE, a stopped request TIMEOUT; everything else passes through.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const stopped = stoppedAnswer(unwrapResolverError(error));
  if (stopped) return { message: stopped.message, locations: formatted.locations, path: formatted.path, extensions: { code: stopped.code } };
  const message = unavailableMessage(unwrapResolverError(error));
  if (message === undefined) return formatted;
  return {
    message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  };
}
