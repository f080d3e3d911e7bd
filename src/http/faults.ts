// A database outage is answered as a coded, retryable error instead of a raw
// driver message, and the server keeps running: the pool reconnects by itself
// once the database is back.
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { DatabaseBusyError } from '../db/busyGate.js';

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

/** Apollo's formatError: outages and a busy embedded store become SERVICE_UNAVAILABLE; everything else passes through. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const message = unavailableMessage(unwrapResolverError(error));
  if (message === undefined) return formatted;
  return {
    message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  };
}
