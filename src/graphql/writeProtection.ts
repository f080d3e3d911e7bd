// Who may write: one check for every mutation, made once the operation is
// known and before any resolver runs, so a new mutation is protected without
// doing anything. Reads are never checked.
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Config } from '../config.js';
import { bearerToken, tokenDigest, tokenMatches } from '../lib/bearerTokens.js';

export type WritePolicy =
  /** No token configured and writes allowed: not production (its NODE_ENV), or ALLOW_ANONYMOUS_WRITES=true. */
  | { kind: 'open'; reason: 'development' | 'test' | 'allowed' }
  /** Every mutation needs one of these tokens; only their digests are kept. */
  | { kind: 'tokens'; digests: Buffer[] }
  /** Production without WRITE_TOKENS: nothing may be written. */
  | { kind: 'refused' };

export function writePolicy(config: Pick<Config, 'env' | 'writes'>): WritePolicy {
  if (config.writes.tokens.length > 0) return { kind: 'tokens', digests: config.writes.tokens.map(tokenDigest) };
  if (config.env !== 'production') return { kind: 'open', reason: config.env };
  return config.writes.allowAnonymous ? { kind: 'open', reason: 'allowed' } : { kind: 'refused' };
}

/** The one line logged at start when anyone can write or nobody can; none when tokens guard writes or in tests. */
export function writePolicyWarning(policy: WritePolicy): string | undefined {
  if (policy.kind === 'refused') {
    return 'writes are refused: production mode without WRITE_TOKENS (set WRITE_TOKENS, or ALLOW_ANONYMOUS_WRITES=true)';
  }
  if (policy.kind === 'open' && policy.reason !== 'test') {
    return 'anyone who reaches this server can add and change photos: set WRITE_TOKENS to require a token for writes';
  }
  return undefined;
}

function writeError(code: 'UNAUTHENTICATED' | 'FORBIDDEN', status: number, message: string, extra = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status } } });
}

/** Throws the coded error for a write that may not happen; returns for one that may. */
export function checkWrite(policy: WritePolicy, authorization: string | undefined): void {
  if (policy.kind === 'open') return;
  if (policy.kind === 'refused') {
    throw writeError(
      'FORBIDDEN',
      403,
      'This server accepts no changes: it runs in production mode without WRITE_TOKENS. ' +
        'Its operator can set WRITE_TOKENS (comma-separated) to allow writes with a token, or ALLOW_ANONYMOUS_WRITES=true.',
      { writesDisabled: true },
    );
  }
  const token = bearerToken(authorization);
  if (!token) {
    throw writeError('UNAUTHENTICATED', 401, "Changes need a write token: send the header 'Authorization: Bearer <token>'.");
  }
  if (!tokenMatches(token, policy.digests)) throw writeError('FORBIDDEN', 403, 'The write token is not accepted: check it and send it again.');
}

/** The Apollo plugin: mutations only, from the request's own Authorization header. */
export function writeProtectionPlugin<T extends object>(policy: WritePolicy): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation?.operation !== 'mutation') return;
          checkWrite(policy, request.http?.headers.get('authorization'));
        },
      };
    },
  };
}
