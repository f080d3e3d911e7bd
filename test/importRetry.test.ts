// How long `npm run import -- --url` waits after an OVERLOADED answer: what
// the server's Retry-After says, bounded and spread.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelaySeconds } from '../src/import/sinks.js';

describe('the import waits as Retry-After says', () => {
  test('the header, else the body, else 1 s; bounded; spread by up to a half', () => {
    assert.equal(retryDelaySeconds('3', undefined, 0), 3);
    assert.equal(retryDelaySeconds('3', undefined, 1), 4.5);
    assert.equal(retryDelaySeconds(null, { message: '', extensions: { retryAfterSeconds: 2 } }, 0), 2);
    assert.equal(retryDelaySeconds(null, undefined, 0), 1);
    assert.equal(retryDelaySeconds('100000', undefined, 0), 30);
    assert.equal(retryDelaySeconds('0.01', undefined, 0), 0.5);
    assert.equal(retryDelaySeconds('soon', undefined, 0), 1);
  });
});
