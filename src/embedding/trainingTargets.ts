// What the word model learns to predict for a training image: a point in GloVe
// space (class name, caption words, or both) or, for the vocabulary loss, a
// distribution over the tag vocabulary.
import { captionWordCounts, categoryWords } from './captions.js';
import { l2Normalize, meanVector } from '../lib/vectors.js';

export type TargetKind = 'class' | 'caption' | 'class+caption';

export interface TargetImage {
  category: string;
  captions: readonly string[];
}

export type WordVectorMap = ReadonlyMap<string, Float32Array>;

function classVector(image: TargetImage, vectors: WordVectorMap): Float32Array {
  const known = categoryWords(image.category).flatMap((word) => vectors.get(word) ?? []);
  if (known.length === 0) throw new Error(`no word vector for the category '${image.category}'`);
  return l2Normalize(meanVector(known));
}

/**
 * Caption content words weighted by how many captions use them, times the
 * word's `wordWeights` entry where given (e.g. its inverse document
 * frequency); null when none is known.
 */
function captionVector(image: TargetImage, vectors: WordVectorMap, wordWeights?: ReadonlyMap<string, number>): Float32Array | null {
  const sum = new Float32Array(100);
  let weight = 0;
  for (const [word, count] of captionWordCounts(image.captions)) {
    const vector = vectors.get(word);
    if (!vector) continue;
    const w = count * (wordWeights?.get(word) ?? 1);
    for (let i = 0; i < sum.length; i++) sum[i]! += w * vector[i]!;
    weight += w;
  }
  return weight > 0 ? l2Normalize(sum) : null;
}

/**
 * Each caption word's inverse document frequency over `images`, ln(N / images
 * whose captions use it): words every photo's captions use (man, white)
 * weigh less in a caption target than the words that tell photos apart.
 */
export function captionIdf(images: readonly TargetImage[]): Map<string, number> {
  const using = new Map<string, number>();
  for (const image of images) for (const word of captionWordCounts(image.captions).keys()) using.set(word, (using.get(word) ?? 0) + 1);
  return new Map([...using].map(([word, n]) => [word, Math.log(images.length / n)]));
}

/**
 * The unit target vector of an image; `classWeight` weighs the class vector
 * against the caption vector (class+caption); `wordWeights` weigh the caption words.
 */
export function targetVector(
  image: TargetImage,
  kind: TargetKind,
  vectors: WordVectorMap,
  classWeight = 0.5,
  wordWeights?: ReadonlyMap<string, number>,
): Float32Array {
  if (kind === 'class') return classVector(image, vectors);
  const caption = captionVector(image, vectors, wordWeights);
  if (kind === 'caption') return caption ?? classVector(image, vectors);
  const cls = classVector(image, vectors);
  return caption ? l2Normalize(cls.map((x, i) => classWeight * x + (1 - classWeight) * caption[i]!)) : cls;
}

/**
 * A distribution over `vocabulary` (index by word): `classWeight` shared by the
 * class words, the rest by the caption words in proportion to their counts.
 */
export function targetDistribution(
  image: TargetImage,
  vocabularyIndex: ReadonlyMap<string, number>,
  classWeight: number,
): Float32Array {
  const target = new Float32Array(vocabularyIndex.size);
  const classIds = categoryWords(image.category).flatMap((word) => vocabularyIndex.get(word) ?? []);
  const captionIds = [...captionWordCounts(image.captions)].flatMap(([word, count]) => {
    const id = vocabularyIndex.get(word);
    return id === undefined ? [] : [{ id, count }];
  });
  const captionTotal = captionIds.reduce((sum, { count }) => sum + count, 0);
  const classShare = captionTotal > 0 ? classWeight : 1;
  for (const id of classIds) target[id]! += classShare / classIds.length;
  for (const { id, count } of captionIds) target[id]! += ((1 - classShare) * count) / captionTotal;
  return target;
}
