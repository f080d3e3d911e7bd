// How decoder failures are worded for clients.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeError } from '../src/embedding/preprocess.js';

describe('decoder failures', () => {
  test("keep libvips' reason, without sharp's prefix and continuation lines", () => {
    const err = decodeError(new Error('Input buffer has corrupt header: VipsJpeg: premature end of JPEG image\nmore'));
    assert.equal(err.message, 'not a readable image (has corrupt header: VipsJpeg: premature end of JPEG image)');
  });

  test('a reason lost to a concurrent decode ("Unknown error", or none) still says what is wrong', () => {
    for (const lost of ['Unknown error', 'unknown error', '', '\n']) {
      assert.equal(decodeError(new Error(lost)).message, 'not a readable image (truncated or corrupt image data)');
    }
  });
});
