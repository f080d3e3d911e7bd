// Errors a client can cause, free of any protocol: a machine-readable code and
// a message a person can act on. The GraphQL and HTTP layers answer them in
// their own terms, so a tool or the eval can call a service without either.

export type ClientErrorCode = 'BAD_USER_INPUT' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'OVERLOADED';

export interface ClientErrorOptions {
  /** When a retry may succeed, in seconds (a full queue, a question still warming up). */
  retryAfterSeconds?: number;
  /** Machine-readable facts beside the code, answered as they are (e.g. the categories that exist). */
  details?: Record<string, unknown>;
}

export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(
    readonly code: ClientErrorCode,
    message: string,
    options: ClientErrorOptions = {},
  ) {
    super(message);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new ClientError('BAD_USER_INPUT', message, { details });

export const notFound = (message: string) => new ClientError('NOT_FOUND', message);

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
