// Wire-protocol bytes crossing between the server and the embedded database's
// thread travel in buffers of their own, so they can be handed over (transferred)
// rather than copied; a Node Buffer may be a slice of a shared 8 KB pool.

/** The chunks, in order, in one new buffer of exactly their length. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
