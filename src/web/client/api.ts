// The page's only way to the server: POST /graphql. Errors become messages a
// person can read; the API's own messages (BAD_USER_INPUT, NOT_FOUND) already are.
// A change the server refuses for want of a write token asks for one and is sent again.
import { askForToken, storedToken } from './tokenPrompt.js';
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; writesDisabled?: boolean } }[];
  extensions?: Record<string, unknown>;
}

export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  return (await graphqlWithExtensions<T>(query, variables)).data;
}

/** The data and the response's `extensions` (e.g. the words a search ignored). */
export async function graphqlWithExtensions<T>(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data: T; extensions: Record<string, unknown> }> {
  for (;;) {
    try {
      return await send<T>(query, variables);
    } catch (err) {
      if (!(err instanceof WriteTokenError)) throw err;
      if ((await askForToken(tokenReason(err))) === null) {
        throw new ApiError('Not changed: this server needs a write token for changes.', err.code);
      }
    }
  }
}

class WriteTokenError extends ApiError {}

/** What the token dialog says first. */
function tokenReason(err: WriteTokenError): string {
  return err.code === 'FORBIDDEN'
    ? 'The token was not accepted. Check it and enter it again.'
    : 'This server needs a write token to make changes. Enter the token you were given.';
}

async function send<T>(query: string, variables: Record<string, unknown>): Promise<{ data: T; extensions: Record<string, unknown> }> {
  const token = storedToken();
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check the connection and try again.');
  }
  if (response.status === 413) throw new ApiError('That is too large for the server to accept. Try a smaller photo.');
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError(`The server answered with an error (HTTP ${response.status}). Try again in a moment.`);
  }
  const first = body.errors?.[0];
  const code = first?.extensions?.code;
  // A server that takes no changes at all (writesDisabled) has no token to ask for.
  if (first && (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') && !first.extensions?.writesDisabled) {
    throw new WriteTokenError(first.message, code);
  }
  if (first) throw new ApiError(friendlyMessage(first.message, code), code);
  if (!body.data) throw new ApiError(`The server sent no answer (HTTP ${response.status}). Try again in a moment.`);
  return { data: body.data, extensions: body.extensions ?? {} };
}

/** Client errors carry a message meant for people; anything else is our fault. */
function friendlyMessage(message: string, code: string | undefined): string {
  if (code === 'INTERNAL_SERVER_ERROR' || code === undefined) {
    return 'Something went wrong on the server. Try again in a moment.';
  }
  return message;
}
