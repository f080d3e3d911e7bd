// Bearer tokens, checked without a timing leak: only digests are kept, and
// every configured one is compared, matched or not.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Equal-length digests, so the comparison's time says nothing about the token. */
export const tokenDigest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  return authorization?.match(BEARER)?.[1];
}

/** True when `token` is one of the tokens `digests` were made from. */
export function tokenMatches(token: string, digests: readonly Buffer[]): boolean {
  const presented = tokenDigest(token);
  // No early exit.
  let matched = false;
  for (const allowed of digests) matched = timingSafeEqual(presented, allowed) || matched;
  return matched;
}
