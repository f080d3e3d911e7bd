// The image → word-space head: frozen 768-d image features in, a 100-d GloVe
// space vector out. Defined, trained (deterministically for a seed), saved and
// loaded with TensorFlow.js on the fast backend (never `cpu`; see tfBackend.ts).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { assertFastBackend, initTfBackend } from './tfBackend.js';
import { ridgeStatisticsYielding, solveRidge } from './ridgeRegression.js';
import { seededRandom } from '../lib/seededRandom.js';
import { dot, l2Normalize } from '../lib/vectors.js';
import {
  METADATA_FILE,
  MODEL_FILE,
  readWordModelMetadata,
  WEIGHTS_FILE,
  WORD_SPACE_DIMENSIONS,
  type TrainingSet,
  type TrainWordModelInput,
  type WordModelSettings,
} from './wordModelSpec.js';

/**
 * Dropout with a fresh, seeded mask on every training call. tfjs-layers'
 * Dropout with a seed draws the same mask each batch, and without one it uses
 * Math.random, which makes training irreproducible.
 */
class SeededDropout extends tfl.layers.Layer {
  static readonly className = 'SeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: { rate: number; seed: number; name?: string; inputShape?: number[] }) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs.training || this.rate === 0) return input.clone();
    return tf.dropout(input, this.rate, undefined, this.seed * 100_003 + this.calls++);
  }

  override getConfig() {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

export function buildWordModel(inputDimensions: number, options: WordModelSettings) {
  const init = (offset: number) => tfl.initializers.glorotUniform({ seed: options.seed + offset });
  const output = () => tfl.layers.dense({ units: WORD_SPACE_DIMENSIONS, kernelInitializer: init(3) });
  if (options.hiddenUnits === 0) {
    return tfl.sequential({
      layers: [
        new SeededDropout({ inputShape: [inputDimensions], rate: options.dropout, seed: options.seed + 2 }),
        output(),
        tfl.layers.batchNormalization(),
      ],
    });
  }
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [inputDimensions], units: options.hiddenUnits, kernelInitializer: init(1) }),
      tfl.layers.batchNormalization(),
      tfl.layers.reLU(),
      new SeededDropout({ rate: options.dropout, seed: options.seed + 2 }),
      output(),
      tfl.layers.batchNormalization(),
    ],
  });
}

function rowNormalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.add(tf.norm(x, 'euclidean', -1, true), 1e-8));
}

function cosineLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(1, tf.sum(tf.mul(rowNormalize(yTrue), rowNormalize(yPred)), -1)));
}

/** Scales rows to unit length; only in the training graph of the vocabulary loss. */
class L2Normalize extends tfl.layers.Layer {
  static readonly className = 'L2Normalize';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return rowNormalize(Array.isArray(inputs) ? inputs[0]! : inputs);
  }
}
tf.serialization.registerClass(L2Normalize);

/**
 * The wordModel followed by fixed layers: unit length, cosine to every
 * vocabulary word divided by the temperature, softmax. Trained with cross-entropy
 * against a distribution over the words, it pulls the image towards its words
 * and away from all others. Shares its weights with `wordModel`.
 */
function vocabularyTrainingModel(wordModel: tfl.Sequential, words: Float32Array[], temperature: number) {
  const kernel = tf.tidy(() => tf.div(tf.transpose(toMatrix(words)), temperature));
  const scores = tfl.layers.dense({ units: words.length, useBias: false, trainable: false, activation: 'softmax' });
  const output = scores.apply(new L2Normalize({}).apply(wordModel.outputs[0]!)) as tfl.SymbolicTensor;
  scores.setWeights([kernel]);
  kernel.dispose();
  return tfl.model({ inputs: wordModel.inputs, outputs: output });
}

function createOptimizer(options: WordModelSettings): tf.Optimizer {
  return options.optimizer === 'adam'
    ? tf.train.adam(options.learningRate)
    : tf.train.momentum(options.learningRate, 0.9, true);
}

function shuffledOrder(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

const toMatrix = (rows: Float32Array[]) => tf.tensor2d(concatRows(rows), [rows.length, rows[0]!.length]);

function concatRows(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.length * rows[0]!.length);
  rows.forEach((row, i) => out.set(row, i * row.length));
  return out;
}

/** Mean 1 − cos(prediction, target) of a model over a set (the cosine loss, in plain numbers). */
function meanCosineLoss(model: tfl.LayersModel, set: TrainingSet): number {
  const predictions = projectToWords(model, set.features);
  const cosines = predictions.map((p, i) => dot(p, l2Normalize(set.targets[i]!)));
  return 1 - cosines.reduce((a, b) => a + b, 0) / cosines.length;
}

/** The closed-form recipe: a Dense layer holding the ridge regression's weights. */
async function fitLinearWordModel(input: TrainWordModelInput): Promise<tfl.Sequential> {
  const { train, validation, options } = input;
  if (options.loss !== 'cosine') throw new Error('the ridge solver fits target vectors: use the cosine loss');
  const started = Date.now();
  // Yielding: the reference set's retraining runs in a serving process.
  const map = solveRidge(await ridgeStatisticsYielding(train.features, train.targets), options.ridge ?? 1);
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [map.inputs], units: map.outputs })] });
  const weights = [tf.tensor2d(map.kernel, [map.inputs, map.outputs]), tf.tensor1d(map.bias)];
  model.setWeights(weights);
  tf.dispose(weights);
  input.onEpoch?.({
    epoch: 1,
    loss: meanCosineLoss(model, train),
    validationLoss: validation ? meanCosineLoss(model, validation) : undefined,
    seconds: (Date.now() - started) / 1000,
  });
  return model;
}

export async function fitWordModel(input: TrainWordModelInput): Promise<tfl.Sequential> {
  const { train, validation, options } = input;
  await initTfBackend();
  assertFastBackend(tf.getBackend());
  if (options.solver === 'ridge') return fitLinearWordModel(input);
  const wordModel = buildWordModel(train.features[0]!.length, options);
  const model =
    options.loss === 'vocabulary'
      ? vocabularyTrainingModel(wordModel, requireVocabulary(input.vocabulary), options.temperature)
      : wordModel;
  model.compile({
    optimizer: createOptimizer(options),
    loss: options.loss === 'vocabulary' ? 'categoricalCrossentropy' : cosineLoss,
  });
  const random = seededRandom(options.seed);
  const validationData = validation
    ? ([toMatrix(validation.features), toMatrix(validation.targets)] as [tf.Tensor, tf.Tensor])
    : undefined;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const started = Date.now();
      const order = shuffledOrder(train.features.length, random);
      const x = toMatrix(order.map((i) => train.features[i]!));
      const y = toMatrix(order.map((i) => train.targets[i]!));
      const history = await model.fit(x, y, {
        batchSize: options.batchSize,
        epochs: 1,
        shuffle: false,
        verbose: 0,
        validationData,
      });
      tf.dispose([x, y]);
      input.onEpoch?.({
        epoch,
        loss: Number(history.history.loss?.[0]),
        validationLoss: validationData ? Number(history.history.val_loss?.[0]) : undefined,
        seconds: (Date.now() - started) / 1000,
      });
    }
  } finally {
    if (validationData) tf.dispose(validationData);
  }
  return wordModel;
}

function requireVocabulary(vocabulary: Float32Array[] | undefined): Float32Array[] {
  if (!vocabulary || vocabulary.length === 0) throw new Error('the vocabulary loss needs a vocabulary');
  return vocabulary;
}

/** Projects features into word space; every output row is L2-normalised. */
export function projectToWords(model: tfl.LayersModel, features: Float32Array[]): Float32Array[] {
  if (features.length === 0) return [];
  assertFastBackend(tf.getBackend());
  const output = tf.tidy(() => rowNormalize(model.predict(toMatrix(features)) as tf.Tensor));
  const flat = output.dataSync() as Float32Array;
  output.dispose();
  const width = flat.length / features.length;
  return features.map((_, i) => flat.slice(i * width, (i + 1) * width));
}

/** Saves in TF.js Layers format (model.json + weights.bin) plus training metadata; atomic by rename. */
export async function saveWordModel(model: tfl.LayersModel, dir: string, metadata: Record<string, unknown>) {
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(path.join(partial, WEIGHTS_FILE), Buffer.from(artifacts.weightData as ArrayBuffer));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: 'semsearch',
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      writeFileSync(path.join(partial, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  writeFileSync(path.join(partial, METADATA_FILE), JSON.stringify(metadata, null, 2));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(partial, dir);
}

export async function loadWordModel(dir: string): Promise<{ model: tfl.LayersModel; metadata: Record<string, unknown> }> {
  const modelJson = JSON.parse(readFileSync(path.join(dir, MODEL_FILE), 'utf8'));
  const weights = readFileSync(path.join(dir, WEIGHTS_FILE));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  await initTfBackend();
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData,
    }),
  );
  return { model, metadata: readWordModelMetadata(dir) };
}
