// What the image → word model is, without loading it: its settings (the
// tutorial's recipe among them), what training takes and reports, and its
// files on disk. TensorFlow.js is imported only where the model is built,
// trained or run (wordModel.ts), so a restart that needs none starts without it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const WORD_SPACE_DIMENSIONS = 100;

export interface WordModelSettings {
  /** 0: a linear map (Dense → BatchNorm) without the hidden layer. */
  hiddenUnits: number;
  dropout: number;
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  epochs: number;
  batchSize: number;
  seed: number;
  /**
   * cosine: 1 − cos(prediction, target vector), the tutorial's loss.
   * vocabulary: softmax over cosine similarities to a word list (a contrastive
   * loss against word vectors); targets are distributions over those words.
   */
  loss: 'cosine' | 'vocabulary';
  /** Softmax temperature of the vocabulary loss. */
  temperature: number;
  /**
   * ridge: no gradient training; a linear map fitted in closed form to the
   * target vectors (cosine-loss targets), with `ridge` as its L2 strength. The
   * layer, optimizer and epoch options do not apply.
   */
  solver?: 'gradient' | 'ridge';
  ridge?: number;
}

/** The tutorial's recipe. */
export const TUTORIAL_OPTIONS: WordModelSettings = {
  hiddenUnits: 2000,
  dropout: 0.5,
  optimizer: 'sgd',
  learningRate: 0.01,
  epochs: 50,
  batchSize: 32,
  seed: 42,
  loss: 'cosine',
  temperature: 0.05,
};

export interface TrainingSet {
  features: Float32Array[];
  /** Target vectors (cosine loss) or distributions over `vocabulary` (vocabulary loss). */
  targets: Float32Array[];
}

export interface EpochReport {
  epoch: number;
  loss: number;
  validationLoss?: number;
  seconds: number;
}

export interface TrainWordModelInput {
  train: TrainingSet;
  validation?: TrainingSet;
  options: WordModelSettings;
  /** Unit word vectors (one per row) for the vocabulary loss. */
  vocabulary?: Float32Array[];
  onEpoch?: (report: EpochReport) => void;
}

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'training.json';

export function wordModelExists(dir: string): boolean {
  return existsSync(path.join(dir, MODEL_FILE)) && existsSync(path.join(dir, WEIGHTS_FILE));
}

export function readWordModelMetadata(dir: string): Record<string, unknown> {
  const file = path.join(dir, METADATA_FILE);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
}
