// A reference for the word-space model's class-level numbers: a 20-way
// softmax classifier trained directly on the same image vectors and training
// split. It answers "how well can these features tell the classes apart at
// all?", so a shortfall of the word-space model can be told from a shortfall
// of the features. Its L2 strength is chosen by cross-validation inside the
// training split; the held-out images are only scored.
import * as tf from '@tensorflow/tfjs-core';

export interface ProbeItem {
  category: string;
  vector: Float32Array;
}

export interface LinearProbeResult {
  /** The L2 strength chosen by 4-fold cross-validation on the training items. */
  l2: number;
  /** Held out: the true class is the top-1 / among the top 5 of 20. */
  top1: number;
  top5: number;
  /** Held out: per class, the share of its 10 highest-scored images that are of it (as text→image P@10). */
  precisionAt10: number;
}

const L2_CANDIDATES = [0.01, 0.1, 1];
const FOLDS = 4;
const STEPS = 300;
const LEARNING_RATE = 0.1;
const MOMENTUM = 0.9;

interface ProbeModel {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** Full-batch gradient descent with momentum on softmax cross-entropy + L2. */
function fit(x: tf.Tensor2D, labels: Int32Array, classes: number, l2: number): ProbeModel {
  const n = x.shape[0];
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32'));
  const zeros = (): ProbeModel => ({ w: tf.zeros([x.shape[1], classes]), b: tf.zeros([classes]) });
  let model = zeros();
  let velocity = zeros();
  for (let step = 0; step < STEPS; step++) {
    const next = tf.tidy(() => {
      const error = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(x, model.w), model.b)), y), n);
      const gradient = { w: tf.add(tf.matMul(x, error, true, false), tf.mul(model.w, l2)), b: tf.sum(error, 0) };
      const w = tf.sub(tf.mul(velocity.w, MOMENTUM), tf.mul(gradient.w, LEARNING_RATE)) as tf.Tensor2D;
      const b = tf.sub(tf.mul(velocity.b, MOMENTUM), tf.mul(gradient.b, LEARNING_RATE)) as tf.Tensor1D;
      return { velocity: { w, b }, model: { w: tf.add(model.w, w) as tf.Tensor2D, b: tf.add(model.b, b) as tf.Tensor1D } };
    });
    tf.dispose([model.w, model.b, velocity.w, velocity.b]);
    ({ model, velocity } = next);
  }
  tf.dispose([y, velocity.w, velocity.b]);
  return model;
}

function scores(x: tf.Tensor2D, model: ProbeModel): number[][] {
  const logits = tf.tidy(() => tf.add(tf.matMul(x, model.w), model.b));
  const rows = logits.arraySync() as number[][];
  logits.dispose();
  return rows;
}

function rankOf(row: number[], label: number): number {
  return row.filter((score) => score > row[label]!).length;
}

function accuracy(rows: number[][], labels: Int32Array): number {
  return rows.filter((row, i) => rankOf(row, labels[i]!) === 0).length / rows.length;
}

/** Standardises with the training items' mean and spread (the held-out items never shape it). */
function standardiser(train: readonly ProbeItem[]): { apply(items: readonly ProbeItem[]): tf.Tensor2D; dispose(): void } {
  const stack = (items: readonly ProbeItem[]) => tf.stack(items.map((item) => tf.tensor1d(item.vector))) as tf.Tensor2D;
  const { mean, spread } = tf.tidy(() => {
    const moments = tf.moments(stack(train), 0);
    return { mean: moments.mean, spread: tf.sqrt(tf.add(moments.variance, 1e-8)) };
  });
  return {
    apply: (items) => tf.tidy(() => tf.div(tf.sub(stack(items), mean), spread)),
    dispose: () => tf.dispose([mean, spread]),
  };
}

export function linearProbe(train: readonly ProbeItem[], heldOut: readonly ProbeItem[]): LinearProbeResult {
  const classes = [...new Set(train.map((item) => item.category))].sort();
  const labelsOf = (items: readonly ProbeItem[]) => Int32Array.from(items, (item) => classes.indexOf(item.category));
  const standardised = standardiser(train);
  const standardise = standardised.apply;

  const crossValidated = L2_CANDIDATES.map((l2) => {
    let correct = 0;
    for (let fold = 0; fold < FOLDS; fold++) {
      const fitItems = train.filter((_, i) => i % FOLDS !== fold);
      const checkItems = train.filter((_, i) => i % FOLDS === fold);
      const x = standardise(fitItems);
      const model = fit(x, labelsOf(fitItems), classes.length, l2);
      const checkX = standardise(checkItems);
      correct += accuracy(scores(checkX, model), labelsOf(checkItems)) * checkItems.length;
      tf.dispose([x, checkX, model.w, model.b]);
    }
    return { l2, accuracy: correct / train.length };
  });
  const { l2 } = crossValidated.reduce((best, next) => (next.accuracy > best.accuracy ? next : best));

  const x = standardise(train);
  const model = fit(x, labelsOf(train), classes.length, l2);
  const heldOutX = standardise(heldOut);
  const rows = scores(heldOutX, model);
  tf.dispose([x, heldOutX, model.w, model.b]);
  standardised.dispose();

  const labels = labelsOf(heldOut);
  const top5 = rows.filter((row, i) => rankOf(row, labels[i]!) < 5).length / rows.length;
  const precisionAt10 =
    classes.reduce((sum, _, c) => {
      const best = rows
        .map((row, i) => ({ score: row[c]!, relevant: labels[i] === c }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      return sum + best.filter((r) => r.relevant).length / 10;
    }, 0) / classes.length;
  return { l2, top1: accuracy(rows, labels), top5, precisionAt10 };
}
