// The services' rules that need no database: arguments are checked before any
// repository or model is asked (the services here have none, so a rule that
// reached for one would fail with a TypeError, not the client error), and the
// model layer's typed errors become the codes clients see, in GraphQL and HTTP terms.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HeaderMap } from '@apollo/server';
import { ImageDecodeError, ImageQueueFullError, ModelNotTrainedError } from '../src/embedding/index.js';
import { ClientError } from '../src/errors.js';
import { asGraphQLError } from '../src/graphql/clientErrors.js';
import { refusalOf } from '../src/http/requestErrors.js';
import { decodeBase64Image, queriedImage, MAX_IMAGE_BYTES } from '../src/services/arguments.js';
import { ImageService } from '../src/services/imageService.js';
import { ImageTextService } from '../src/services/imageTextService.js';
import { toClientError } from '../src/services/modelErrors.js';
import { Warmup } from '../src/services/warmup.js';
import { WordService } from '../src/services/wordService.js';

const none = null as never;
// Not seeding: every question is let through to its rules.
const warmup = new Warmup();
const words = new WordService(none, 200, warmup);
const images = new ImageService(none, none, none, 100, warmup, none);
const imageText = new ImageTextService(none, none, none, none, none, { wordEfSearch: 200, imageEfSearch: 100 }, warmup, none);

/** Rejects with a client error of `code` whose message matches `message`. */
async function refused(work: () => Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof ClientError, `a client error, not ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

describe('argument rules, before any repository or model', () => {
  test('similarWords: empty or over-long text, first outside 1..100', async () => {
    await refused(() => words.similarWords('  ', 5), 'BAD_USER_INPUT', /'word' is empty/);
    await refused(() => words.similarWords('x'.repeat(501), 5), 'BAD_USER_INPUT', /at most 500 characters/);
    await refused(() => words.similarWords('dog', 0), 'BAD_USER_INPUT', /'first' must be between 1 and 100, got 0/);
  });

  test('similarImages and tagsForImage take exactly one of id or image', async () => {
    await refused(() => images.similarImages({}), 'BAD_USER_INPUT', /exactly one of 'id'.*not neither/);
    await refused(
      () => imageText.tagsForImage({ id: 'a', image: { base64: 'AAAA' } }),
      'BAD_USER_INPUT',
      /exactly one of 'id'.*not both/,
    );
    assert.deepEqual(queriedImage({ id: 'a', image: null }), { id: 'a' });
  });

  test('similarImages: maxDistance is a cosine distance; an over-long category is refused', async () => {
    await refused(() => images.similarImages({ id: 'a', maxDistance: 3 }), 'BAD_USER_INPUT', /between 0 and 2, got 3/);
    await refused(() => images.similarImages({ id: 'a', category: 'c'.repeat(101) }), 'BAD_USER_INPUT', /too long/);
  });

  test('images: a cursor from elsewhere is refused', async () => {
    await refused(() => images.page({ after: 'bm90LWEtY3Vyc29y' }), 'BAD_USER_INPUT', /not a cursor from this API/);
  });

  test('addImage: captions are limited in number and length', async () => {
    const image = { base64: 'AAAA' };
    await refused(() => images.addImage(image, null, Array(21).fill('a caption')), 'BAD_USER_INPUT', /at most 20, got 21/);
    await refused(() => images.addImage(image, null, ['x'.repeat(501)]), 'BAD_USER_INPUT', /each at most 500 characters/);
  });

  test('imagesForText: empty text; tags: first outside 1..100', async () => {
    await refused(() => imageText.imagesForText({ text: '' }), 'BAD_USER_INPUT', /'text' is empty/);
    assert.throws(() => imageText.checkTagsFirst(101), /'first' must be between 1 and 100/);
  });

  test('image bytes: base64 with or without a data: prefix; empty, invalid or too large is refused', () => {
    assert.deepEqual([...decodeBase64Image('data:image/png;base64,AQID')], [1, 2, 3]);
    assert.throws(() => decodeBase64Image(''), /is empty/);
    assert.throws(() => decodeBase64Image('not base64!'), /not valid base64/);
    const tooLarge = Buffer.alloc(MAX_IMAGE_BYTES + 3).toString('base64');
    assert.throws(() => decodeBase64Image(tooLarge), /images up to 10485760 bytes/);
  });
});

describe('model errors as client errors', () => {
  const codeOf = (err: unknown) => (toClientError(err) as ClientError).code;

  test('unreadable bytes, an untrained model and a full queue each get their code', () => {
    assert.equal(codeOf(new ImageDecodeError('not a readable image (x)')), 'BAD_USER_INPUT');
    assert.equal((toClientError(new ImageDecodeError('not a readable image (x)')) as Error).message, "'image.base64' is not a readable image (x)");
    assert.equal(codeOf(new ModelNotTrainedError('not trained')), 'SERVICE_UNAVAILABLE');
    assert.equal(codeOf(new ImageQueueFullError(32, 4)), 'OVERLOADED');
    const overloaded = toClientError(new ImageQueueFullError(32, 4)) as ClientError;
    assert.match(overloaded.message, /busy embedding 32 images; retry in 4 s/);
    assert.equal(overloaded.retryAfterSeconds, 4);
  });

  test('anything else passes through unchanged', () => {
    const other = new Error('disk full');
    assert.equal(toClientError(other), other);
  });
});

describe('client errors in GraphQL and HTTP terms', () => {
  const full = () => toClientError(new ImageQueueFullError(32, 4)) as ClientError;

  test('OVERLOADED refuses the whole GraphQL request: 503 with Retry-After, the seconds in extensions too', () => {
    const { message, extensions } = asGraphQLError(full());
    assert.match(message, /busy embedding 32 images; retry in 4 s/);
    assert.equal(extensions.code, 'OVERLOADED');
    assert.equal(extensions.retryAfterSeconds, 4);
    const http = extensions.http as { status: number; headers: HeaderMap };
    assert.equal(http.status, 503);
    assert.equal(http.headers.get('retry-after'), '4');
  });

  test('other codes concern their field: details in extensions, no HTTP status', () => {
    const details = { warming: { tagsForImage: 'seeding' } };
    const warming = new ClientError('SERVICE_UNAVAILABLE', 'not ready', { details, retryAfterSeconds: 9 });
    assert.deepEqual(asGraphQLError(warming).extensions, { code: 'SERVICE_UNAVAILABLE', ...details, retryAfterSeconds: 9 });
    assert.deepEqual(asGraphQLError(new ClientError('NOT_FOUND', 'no such image')).extensions, { code: 'NOT_FOUND' });
  });

  test('as an HTTP refusal: its status, Retry-After, and the seconds in the body', () => {
    assert.deepEqual(refusalOf(full()), {
      status: 503,
      code: 'OVERLOADED',
      message: full().message,
      headers: { 'retry-after': '4' },
      extra: { retryAfterSeconds: 4 },
    });
  });
});
