// A small GloVe file for tests, in the wink package's format, built from the
// real vectors: the most frequent words plus a list of chosen ones. Cached in
// the temp dir so the 300 MB source is scanned once per machine.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readGloveWords, type GloveWord } from '../../src/embedding/glove.js';

export const TEST_WORDS = [
  'dog', 'dogs', 'cat', 'cats', 'puppy', 'pet', 'kitten', 'horse', 'animal', 'pig', 'rabbit',
  'sofa', 'couch', 'chair', 'table', 'bird', 'boat', 'car', 'bus', 'train', 'sheep', 'cow',
  'bottle', 'plant', 'potted', 'dining', 'tv', 'monitor', 'person', 'aeroplane', 'airplane',
  'bicycle', 'motorbike', 'ocean', 'sea', 'beach', 'street', 'tree', 'grass', 'water', 'snow',
  'plane', 'planes', 'grey', 'gray', 'television', 'motorcycle',
  'horses', 'box', 'boxes', 'instead', 'every', 'front', 'top', 'back', 'red', 'riding', 'kitchen',
];

export async function buildTestGlove(topN = 300, extra: readonly string[] = TEST_WORDS): Promise<string> {
  const key = createHash('sha1').update(`${topN}:${extra.join(',')}:v1`).digest('hex').slice(0, 12);
  const file = path.join(tmpdir(), `semsearch-test-glove-${key}.json`);
  if (existsSync(file)) return file;

  const wanted = new Set(extra);
  const chosen: GloveWord[] = [];
  for await (const word of readGloveWords()) {
    if (word.rank < topN || wanted.has(word.text)) {
      chosen.push(word);
      wanted.delete(word.text);
    }
    if (word.rank >= topN && wanted.size === 0) break;
  }
  // Ranks are renumbered densely so the file is a valid, self-consistent GloVe subset.
  const vectors: Record<string, number[]> = {};
  chosen.forEach((word, index) => {
    vectors[word.text] = [...Array.from(word.vector, (x) => Number(x.toFixed(6))), 0, index];
  });
  const body = JSON.stringify({
    precision: 6,
    l2NormIndex: 100,
    wordIndex: 101,
    size: chosen.length,
    dimensions: 100,
    words: chosen.map((word) => word.text),
    vectors,
  });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, body);
  renameSync(partial, file);
  return file;
}
