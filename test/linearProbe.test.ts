// The evaluation's classifier reference on synthetic data: it must find
// classes that the features separate, and stay near chance when they do not.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../src/lib/seededRandom.js';
import { initTfBackend } from '../src/embedding/tfBackend.js';
import { linearProbe, type ProbeItem } from '../src/eval/linearProbe.js';

const DIMS = 16;
const CLASSES = ['a', 'b', 'c', 'd', 'e', 'f'];

function items(count: number, seed: number, signal: number, labelOf: (i: number) => string): ProbeItem[] {
  const random = seededRandom(seed);
  const centre = (label: string) => Array.from({ length: DIMS }, (_, d) => (d === CLASSES.indexOf(label) ? signal : 0));
  return Array.from({ length: count }, (_, i) => {
    const category = labelOf(i);
    return { category, vector: Float32Array.from(centre(category), (c) => c + random() - 0.5) };
  });
}

const cycled = (i: number) => CLASSES[i % CLASSES.length]!;

describe('linear classifier reference', () => {
  before(async () => {
    await initTfBackend();
  });

  test('separable classes: every held-out item right, and each class query finds its own items', () => {
    const tensorsBefore = tf.memory().numTensors;
    const result = linearProbe(items(120, 1, 3, cycled), items(60, 2, 3, cycled));
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the probe frees every tensor it made');
    assert.equal(result.top1, 1);
    assert.equal(result.top5, 1);
    assert.equal(result.precisionAt10, 1);
    assert.ok([0.01, 0.1, 1].includes(result.l2));
  });

  test('features unrelated to the labels: held-out accuracy near chance', () => {
    const random = seededRandom(3);
    const shuffled = () => CLASSES[Math.floor(random() * CLASSES.length)]!;
    const relabel = (list: ProbeItem[]) => list.map((item) => ({ ...item, category: shuffled() }));
    const result = linearProbe(relabel(items(120, 4, 3, cycled)), relabel(items(120, 5, 3, cycled)));
    assert.ok(result.top1 < 0.4, `top-1 ${result.top1} should be near chance (1/6)`);
  });
});
