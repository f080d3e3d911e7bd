// The request shapes `npm run bench -- --hostile` sends: each request of a
// shape is distinct (so no cache can answer it from an earlier one) and as
// large as the limits allow, or just past them. Built in the client process.
import { createHash } from 'node:crypto';
import { REQUEST_LIMITS } from '../http/limits.js';

export interface Shape {
  name: string;
  /** Requests sent at most, and at once. */
  count: number;
  concurrency: number;
  /** The HTTP status the server should answer with (200: answered, with data or a GraphQL error). */
  expect: number;
  body(k: number): string;
}

const request = (query: string, variables: Record<string, unknown> = {}, extensions?: Record<string, unknown>) =>
  JSON.stringify(extensions ? { query, variables, extensions } : { query, variables });

/** A query of exactly `length` characters: a distinct comment, padding, then `{ __typename }`. */
function paddedQuery(k: number, length: number): string {
  const head = `#${k} `;
  const tail = '\n{ __typename }';
  return head + 'x'.repeat(Math.max(0, length - head.length - tail.length)) + tail;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const MiB = 1024 * 1024;

/** Every shape but the uploads, which need image bytes (see uploadShape). */
export function requestShapes(): Shape[] {
  const maxQuery = REQUEST_LIMITS.maxQueryLength;
  const longText = 'x'.repeat(14 * MiB);
  const deepBody = '['.repeat(7 * MiB) + ']'.repeat(7 * MiB);
  // Leaves a few levels for the body and the variables themselves.
  const deepest = REQUEST_LIMITS.maxJsonDepth - 3;
  return [
    // The reported crash: distinct queries padded with a comment, at the cap.
    { name: 'padded query at the cap (16 KiB, distinct)', count: 5000, concurrency: 16, expect: 200, body: (k) => request(paddedQuery(k, maxQuery)) },
    {
      // 700: at 900 repeated fields graphql-js's own guard against costly field merging refuses the query.
      name: 'query of ~700 tokens (distinct)',
      count: 1000,
      concurrency: 8,
      expect: 200,
      body: (k) => request(`#${k}\n{ ${'__typename '.repeat(700)}}`),
    },
    {
      name: 'persisted query registered (16 KiB, distinct)',
      count: 5000,
      concurrency: 16,
      expect: 200,
      body: (k) => {
        const query = paddedQuery(k, maxQuery);
        return request(query, {}, { persistedQuery: { version: 1, sha256Hash: sha256(query) } });
      },
    },
    {
      name: 'variables at the element cap (9,000 strings of 100 characters)',
      count: 1000,
      concurrency: 16,
      expect: 200,
      body: (k) => request('{ __typename }', { unused: Array.from({ length: 9_000 }, (_, i) => `${k}-${i}-`.padEnd(100, 'v')) }),
    },
    {
      name: `variables nested ${deepest} deep, 1 MiB of text`,
      count: 1000,
      concurrency: 16,
      expect: 200,
      body: (k) => {
        let value: unknown = `${k}`.padEnd(MiB, 'w');
        for (let i = 0; i < deepest; i++) value = [value];
        return request('{ __typename }', { unused: value });
      },
    },
    {
      name: 'text variable of 14 MiB (refused: too long)',
      count: 300,
      concurrency: 8,
      expect: 200,
      body: (k) => request('query ($w: String!) { similarWords(word: $w) { distance } }', { w: `${k}${longText}` }),
    },
    { name: 'padded query of 1 MiB (refused before parsing)', count: 2000, concurrency: 16, expect: 413, body: (k) => request(paddedQuery(k, MiB)) },
    { name: 'JSON nested 7 million deep, 14 MiB (refused before parsing)', count: 300, concurrency: 8, expect: 400, body: () => deepBody },
    {
      name: '14 MiB array of 7 million numbers (refused before parsing)',
      count: 300,
      concurrency: 8,
      expect: 413,
      body: (k) => `{"query":"{ __typename }","variables":{"v":[${k}${',0'.repeat(7 * MiB)}]}}`,
    },
  ];
}

/** An image with a comment segment right after the JPEG start marker: other bytes, the same picture. */
export function distinctJpeg(jpeg: Buffer, k: number): Buffer {
  const note = Buffer.from(`semsearch bench ${k}`);
  const segment = Buffer.alloc(4 + note.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + note.length, 2);
  note.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

export const SIMILAR_BY_IMAGE = 'query ($b: String!) { similarImages(image: { base64: $b }, first: 5) { distance } }';
export const ADD_IMAGE = 'mutation ($b: String!) { addImage(image: { base64: $b }) { id } }';

/** similarImages of distinct large photos: embedded, never stored. */
export function uploadShape(jpeg: Buffer): Shape {
  return {
    name: `similarImages of a ${(jpeg.length / MiB).toFixed(1)} MiB photo (distinct)`,
    count: 300,
    concurrency: 8,
    expect: 200,
    body: (k) => request(SIMILAR_BY_IMAGE, { b: distinctJpeg(jpeg, k).toString('base64') }),
  };
}
