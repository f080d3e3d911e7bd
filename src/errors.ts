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

/** Client input quoted in a message: at most this many characters of it. */
export const MAX_QUOTED_INPUT = 100;

/**
 * Client input inside single quotes, cut to MAX_QUOTED_INPUT characters: an
 * error must not echo a megabyte id back (or into the log).
 */
export function quoted(input: string): string {
  const shown = input.length > MAX_QUOTED_INPUT ? `${input.slice(0, MAX_QUOTED_INPUT)}… (${input.length} characters)` : input;
  return `'${shown}'`;
}

export const noImage = (id: string) => notFound(`No image with id ${quoted(id)}`);

export const MAX_FIRST = 100;

/** `first` arguments: 1..100 everywhere. */
export function checkFirst(first: number | null | undefined, fallback: number, name = 'first'): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_FIRST) {
    throw badInput(`'${name}' must be between 1 and ${MAX_FIRST}, got ${value}`);
  }
  return value;
}
