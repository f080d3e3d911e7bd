// Who may write: one check for every mutation, made once the operation is
// known and before any resolver runs, so a new mutation is protected without
// doing anything. Reads are never checked.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Config } from '../config.js';

export type WritePolicy =
  /** No token configured and writes allowed: not production (its NODE_ENV), or ALLOW_ANONYMOUS_WRITES=true. */
  | { kind: 'open'; reason: 'development' | 'test' | 'allowed' }
  /** Every mutation needs one of these tokens; only their digests are kept. */
  | { kind: 'tokens'; digests: Buffer[] }
  /** Production without WRITE_TOKENS: nothing may be written. */
  | { kind: 'refused' };

/** Equal-length digests, so the comparison's time says nothing about the token. */
const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function writePolicy(config: Pick<Config, 'env' | 'writes'>): WritePolicy {
  if (config.writes.tokens.length > 0) return { kind: 'tokens', digests: config.writes.tokens.map(digest) };
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

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

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
  const token = authorization?.match(BEARER)?.[1];
  if (!token) {
    throw writeError('UNAUTHENTICATED', 401, "Changes need a write token: send the header 'Authorization: Bearer <token>'.");
  }
  const presented = digest(token);
  // Every configured token is compared, matched or not: no early exit.
  let matched = false;
  for (const allowed of policy.digests) matched = timingSafeEqual(presented, allowed) || matched;
  if (!matched) throw writeError('FORBIDDEN', 403, 'The write token is not accepted: check it and send it again.');
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
