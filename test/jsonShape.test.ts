// The JSON shape read before parsing: nesting depth and element counts past
// their limits are found in the text, without counting what strings hold.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonShapeExcess } from '../src/lib/jsonShape.js';

describe('the JSON shape read before parsing', () => {
  const limits = { maxDepth: 3, maxElements: 5 };

  test('brackets, commas and escaped quotes inside strings do not count', () => {
    assert.equal(jsonShapeExcess(JSON.stringify({ a: '[[[[[,,,,,,{{{{"]]]', b: ['x\\', '\\"[[[['] }), limits), undefined);
    assert.equal(jsonShapeExcess('{"a":"\\\\"}', limits), undefined);
  });

  test('depth and elements past the limits, and malformed text left to JSON.parse', () => {
    assert.deepEqual(jsonShapeExcess('[[[[1]]]]', limits), { limit: 'depth', max: 3 });
    assert.deepEqual(jsonShapeExcess('{"a":{"b":{"c":{}}}}', limits), { limit: 'depth', max: 3 });
    assert.deepEqual(jsonShapeExcess('[1,2,3,4,5,6]', limits), { limit: 'elements', max: 5 });
    assert.equal(jsonShapeExcess('[1,2,3,4,5]', limits), undefined);
    assert.equal(jsonShapeExcess('{"unterminated: [[[[[[', limits), undefined);
    assert.equal(jsonShapeExcess(']]]]', limits), undefined);
  });
});
