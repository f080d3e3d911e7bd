// The image → word model recipes that were measured (docs/models.md has their
// held-out numbers) and their shape. `npm run train -- --recipe <name>` trains any.
import { TUTORIAL_OPTIONS, type TargetKind, type WordModelSettings } from '../src/embedding/index.js';

/**
 * How targets are made: a word-space vector per image (caption words weighted
 * by their IDF over the training photos where `idf`), or a distribution over the tag vocabulary.
 */
export type TargetRecipe = { kind: TargetKind; classWeight?: number; idf?: boolean } | { kind: 'vocabulary'; classWeight: number };

export interface WordModelRecipe {
  name: string;
  target: TargetRecipe;
  settings: WordModelSettings;
}

const ADAM = { optimizer: 'adam', learningRate: 0.001 } as const;
/** Closed-form ridge regression onto the target vectors (L2 strength 1, chosen by 4-fold cross-validation in the training split). */
const RIDGE = { ...TUTORIAL_OPTIONS, solver: 'ridge', ridge: 1, epochs: 1 } as const;

const ridgeRecipe = (name: string, classWeight: number): WordModelRecipe => ({
  name,
  target: { kind: 'class+caption', classWeight },
  settings: RIDGE,
});

export const RECIPES: Record<string, WordModelRecipe> = {
  /** The tutorial: mean GloVe vector of the class-name words, 1 − cosine, SGD + Nesterov. */
  tutorial: { name: 'tutorial', target: { kind: 'class' }, settings: TUTORIAL_OPTIONS },
  /** Caption content words (weighted by how many captions use them). */
  caption: { name: 'caption', target: { kind: 'caption' }, settings: TUTORIAL_OPTIONS },
  /** Class-name vector + caption vector, equal weight. */
  'class+caption': { name: 'class+caption', target: { kind: 'class+caption' }, settings: TUTORIAL_OPTIONS },
  'class+caption-adam': {
    name: 'class+caption-adam',
    target: { kind: 'class+caption' },
    settings: { ...TUTORIAL_OPTIONS, ...ADAM },
  },
  /**
   * Contrastive against the word vectors: softmax over cosines to every tag
   * vocabulary word (temperature 0.05); target: class words 50%, caption words
   * 50% (by how many captions use them).
   */
  'vocabulary-softmax': {
    name: 'vocabulary-softmax',
    target: { kind: 'vocabulary', classWeight: 0.5 },
    settings: { ...TUTORIAL_OPTIONS, ...ADAM, loss: 'vocabulary', temperature: 0.05 },
  },
  /** The same with class words 75%, caption words 25%. */
  'vocabulary-softmax-class75': {
    name: 'vocabulary-softmax-class75',
    target: { kind: 'vocabulary', classWeight: 0.75 },
    settings: { ...TUTORIAL_OPTIONS, ...ADAM, loss: 'vocabulary', temperature: 0.05 },
  },
  /** The default's target with a linear map (no hidden layer, no dropout), 30 epochs. */
  'vocabulary-softmax-class75-linear': {
    name: 'vocabulary-softmax-class75-linear',
    target: { kind: 'vocabulary', classWeight: 0.75 },
    settings: { ...TUTORIAL_OPTIONS, ...ADAM, loss: 'vocabulary', temperature: 0.05, hiddenUnits: 0, dropout: 0, epochs: 30 },
  },
  /** The previous default cut to fit a 60-second budget: batches of 128, learning rate 0.003, 20 epochs. */
  'vocabulary-softmax-class75-fast': {
    name: 'vocabulary-softmax-class75-fast',
    target: { kind: 'vocabulary', classWeight: 0.75 },
    settings: { ...TUTORIAL_OPTIONS, optimizer: 'adam', learningRate: 0.003, batchSize: 128, epochs: 20, loss: 'vocabulary', temperature: 0.05 },
  },
  /**
   * Ridge regression (a linear map fitted in closed form, about a second)
   * onto class vector × weight + caption vector × (1 − weight). The class
   * weight 0.75 and L2 strength 1 were chosen by 4-fold cross-validation inside
   * the training split (docs/models.md).
   */
  'ridge-class75': ridgeRecipe('ridge-class75', 0.75),
  'ridge-class': { name: 'ridge-class', target: { kind: 'class' }, settings: RIDGE },
  'ridge-class85': ridgeRecipe('ridge-class85', 0.85),
  'ridge-class60': ridgeRecipe('ridge-class60', 0.6),
  'ridge-class50': ridgeRecipe('ridge-class50', 0.5),
  'ridge-caption': { name: 'ridge-caption', target: { kind: 'caption' }, settings: RIDGE },
  /**
   * The default since issue 17: caption words only, L2 strength 0.3. Chosen by
   * the open-vocabulary proxy in two cross-validations inside the training
   * split (by image, and by whole held-out categories), then tag precision
   * (docs/models.md, "Issue 17").
   */
  'ridge-caption-03': { name: 'ridge-caption-03', target: { kind: 'caption' }, settings: { ...RIDGE, ridge: 0.3 } },
  /** Caption words only, each weighted by its IDF over the training photos (hub words such as man and white count less). */
  'ridge-caption-idf': { name: 'ridge-caption-idf', target: { kind: 'caption', idf: true }, settings: RIDGE },
};
