// The learned image projection on small synthetic data: what it needs to fit,
// and that it separates categories while keeping the features' geometry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyImageProjection, fitImageProjection, projectionVersion } from '../src/embedding/imageProjection.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { seededRandom } from '../src/lib/seededRandom.js';

const DIMS = 32;
const random = seededRandom(7);
const noise = () => random() - 0.5;
const centres = { cat: Array.from({ length: DIMS }, noise), dog: Array.from({ length: DIMS }, noise) };

/** Two categories that overlap in the raw features: close centres, wide spread. */
function sample(category: 'cat' | 'dog', i: number) {
  const features = l2Normalize(Float32Array.from(centres[category], (c) => 0.15 * c + noise()));
  return { id: `${category}-${i}`, category, features };
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i]!, 0);

describe('image projection', () => {
  test('needs two categories with at least two images each', () => {
    assert.equal(fitImageProjection([sample('cat', 0), sample('dog', 0)], 'r'), null);
    assert.equal(fitImageProjection([sample('cat', 0), sample('cat', 1)], 'r'), null);
    assert.ok(fitImageProjection([sample('cat', 0), sample('cat', 1), sample('dog', 0), sample('dog', 1)], 'r'));
  });

  test('pulls unseen images of one category together and apart from the other', () => {
    const train = [...Array.from({ length: 40 }, (_, i) => sample('cat', i)), ...Array.from({ length: 40 }, (_, i) => sample('dog', i))];
    const projection = fitImageProjection(train, 'r')!;
    const unseen = [...Array.from({ length: 20 }, (_, i) => sample('cat', 100 + i)), ...Array.from({ length: 20 }, (_, i) => sample('dog', 100 + i))];
    const margin = (vectorOf: (f: Float32Array) => Float32Array) => {
      let same = 0;
      let other = 0;
      for (const a of unseen) {
        for (const b of unseen) {
          if (a === b) continue;
          const similarity = dot(vectorOf(a.features), vectorOf(b.features));
          if (a.category === b.category) same += similarity;
          else other += similarity;
        }
      }
      return same / (20 * 19 * 2) - other / (20 * 20 * 2);
    };
    const projected = (f: Float32Array) => applyImageProjection(projection, f);
    assert.ok(margin(projected) > margin((f) => f) + 0.05, `margin ${margin((f) => f)} → ${margin(projected)}`);
    for (const image of unseen) assert.ok(Math.abs(Math.hypot(...projected(image.features)) - 1) < 1e-5, 'unit length');
  });

  test('no projection leaves the features as they are; the version ignores training order', () => {
    const features = sample('cat', 0).features;
    assert.equal(applyImageProjection(null, features), features);
    assert.equal(projectionVersion('r', ['b', 'a']), projectionVersion('r', ['a', 'b']));
    assert.notEqual(projectionVersion('r', ['a']), projectionVersion('r', ['a', 'b']));
    assert.notEqual(projectionVersion('r', ['a']), projectionVersion('other recipe', ['a']));
  });
});
