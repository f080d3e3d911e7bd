// Errors a client can cause, as GraphQL errors with a machine-readable code
// and a message a person can act on.
import { GraphQLError } from 'graphql';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'PAYLOAD_TOO_LARGE'
  | 'SERVICE_UNAVAILABLE'
  | 'OVERLOADED';

export function clientError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}

export const badInput = (message: string, extra?: Record<string, unknown>) =>
  clientError('BAD_USER_INPUT', message, extra);

export const notFound = (message: string) => clientError('NOT_FOUND', message);

export const MAX_FIRST = 100;

/** `first` arguments: 1..100 everywhere. */
export function checkFirst(first: number | null | undefined, fallback: number, name = 'first'): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_FIRST) {
    throw badInput(`'${name}' must be between 1 and ${MAX_FIRST}, got ${value}`);
  }
  return value;
}
