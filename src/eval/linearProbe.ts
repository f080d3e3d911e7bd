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

/** Full-batch gradient descent with momentum on softmax cross-entropy + L2. */
function fit(x: tf.Tensor2D, labels: Int32Array, classes: number, l2: number): { w: tf.Tensor2D; b: tf.Tensor1D } {
  return tf.tidy(() => {
    const n = x.shape[0];
    const y = tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32');
    let w = tf.zeros([x.shape[1], classes]) as tf.Tensor2D;
    let b = tf.zeros([classes]) as tf.Tensor1D;
    let vw: tf.Tensor = tf.zerosLike(w);
    let vb: tf.Tensor = tf.zerosLike(b);
    for (let step = 0; step < STEPS; step++) {
      const next = tf.tidy(() => {
        const error = tf.div(tf.sub(tf.softmax(tf.add(tf.matMul(x, w), b)), y), n);
        const gw = tf.add(tf.matMul(x, error, true, false), tf.mul(w, l2));
        const gb = tf.sum(error, 0);
        const nvw = tf.sub(tf.mul(vw, MOMENTUM), tf.mul(gw, LEARNING_RATE));
        const nvb = tf.sub(tf.mul(vb, MOMENTUM), tf.mul(gb, LEARNING_RATE));
        return { w: tf.add(w, nvw) as tf.Tensor2D, b: tf.add(b, nvb) as tf.Tensor1D, vw: nvw, vb: nvb };
      });
      tf.dispose([w, b, vw, vb]);
      ({ w, b, vw, vb } = next);
      tf.keep(w);
      tf.keep(b);
      tf.keep(vw);
      tf.keep(vb);
    }
    tf.dispose([vw, vb]);
    return { w, b };
  });
}

function scores(x: tf.Tensor2D, model: { w: tf.Tensor2D; b: tf.Tensor1D }): number[][] {
  return tf.tidy(() => tf.add(tf.matMul(x, model.w), model.b)).arraySync() as number[][];
}

function rankOf(row: number[], label: number): number {
  return row.filter((score) => score > row[label]!).length;
}

function accuracy(rows: number[][], labels: Int32Array): number {
  return rows.filter((row, i) => rankOf(row, labels[i]!) === 0).length / rows.length;
}

/** Standardises with the training items' mean and spread (the held-out items never shape it). */
function standardiser(train: readonly ProbeItem[]): (items: readonly ProbeItem[]) => tf.Tensor2D {
  const stack = (items: readonly ProbeItem[]) => tf.stack(items.map((item) => tf.tensor1d(item.vector))) as tf.Tensor2D;
  const { mean, variance } = tf.tidy(() => tf.moments(stack(train), 0));
  const spread = tf.tidy(() => tf.sqrt(tf.add(variance, 1e-8)));
  return (items) => tf.tidy(() => tf.div(tf.sub(stack(items), mean), spread));
}

export function linearProbe(train: readonly ProbeItem[], heldOut: readonly ProbeItem[]): LinearProbeResult {
  const classes = [...new Set(train.map((item) => item.category))].sort();
  const labelsOf = (items: readonly ProbeItem[]) => Int32Array.from(items, (item) => classes.indexOf(item.category));
  const standardise = standardiser(train);

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
