// Content hashes: the SHA-256 that identifies an image by its bytes.
import { createHash } from 'node:crypto';

/** Hex SHA-256 of some bytes: the identity of an image's content. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
