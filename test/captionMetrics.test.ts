// The caption-judged metrics on data built here: a perfect ranking or tag list
// scores 1, a random one scores near chance; word forms count as the word.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  frequentCaptionNouns,
  tagPrecision,
  tagRecall,
  textToImagePrecision,
  type CaptionedImage,
} from '../src/eval/captionMetrics.js';
import { COCO_QUERY_WORDS } from '../src/eval/cocoQueries.js';
import { inflections, mentions, sameWord } from '../src/eval/wordForms.js';
import { seededRandom } from '../src/lib/seededRandom.js';
import { l2Normalize } from '../src/lib/vectors.js';

const DIMENSIONS = 16;
const random = seededRandom(7);
const randomUnit = () => l2Normalize(Float32Array.from({ length: DIMENSIONS }, () => random() - 0.5));
const axis = (i: number) => Float32Array.from({ length: DIMENSIONS }, (_, j) => (j === i ? 1 : 0));

/** 200 photos; the first `relevant` have "dog" in their captions. */
function photos(relevant: number, vectorOf: (i: number) => Float32Array): CaptionedImage[] {
  return Array.from({ length: 200 }, (_, i) => ({
    vector: vectorOf(i),
    captionWords: new Set(i < relevant ? ['dogs', 'grass'] : ['street', 'car']),
  }));
}
const dogQuery = { word: 'dog', forms: ['dog', 'dogs'], vector: axis(0) };

describe('caption metrics', () => {
  test('text → image: a perfect ranking scores 1 and chance is the share of relevant photos', () => {
    const images = photos(40, (i) => (i < 40 ? axis(0) : axis(1)));
    assert.deepEqual(textToImagePrecision(images, [dogQuery]).dog, { precision: 1, chance: 0.2 });
  });

  test('text → image: random rankings score near chance', () => {
    const scores = Array.from({ length: 100 }, () => textToImagePrecision(photos(40, randomUnit), [dogQuery]).dog!);
    const mean = scores.reduce((sum, s) => sum + s.precision, 0) / scores.length;
    assert.ok(Math.abs(mean - 0.2) < 0.04, `mean P@10 ${mean} near chance 0.2`);
  });

  test('tag precision: tags the captions use score 1, random vocabulary words score near their share', () => {
    const captionWords = Array.from({ length: 300 }, (_, i) => new Set([`w${i % 50}`, `w${(i + 1) % 50}`, `w${(i + 2) % 50}`]));
    const perfect = captionWords.map((words) => [...words].map((word) => [word]));
    assert.equal(tagPrecision(perfect, captionWords, 3), 1);
    const randomTags = captionWords.map(() => Array.from({ length: 5 }, () => [`w${Math.floor(random() * 50)}`]));
    const precision = tagPrecision(randomTags, captionWords);
    assert.ok(Math.abs(precision - 3 / 50) < 0.02, `random tags ${precision} near 3/50`);
  });

  test('tag recall: every frequent noun among the tags scores 1, none scores 0; photos without nouns are skipped', () => {
    const nouns = [['dog', 'grass'], ['car'], []];
    assert.equal(tagRecall([[['dogs'], ['grass']], [['cars']], [['sky']]], nouns), 1);
    assert.equal(tagRecall([[['sky']], [['tree']], []], nouns), 0);
    assert.equal(tagRecall([[['dog'], ['sky']], [['car']], []], nouns), 0.75);
  });

  test('frequent caption nouns: named (in any form) by at least 3 captions, nouns only', () => {
    const captions = ['A dog runs on grass.', 'Two dogs play.', 'The dog is running on the grass', 'A brown dog', 'running'];
    const nouns = frequentCaptionNouns(captions, (word) => !['running', 'runs', 'brown', 'play'].includes(word));
    assert.deepEqual(nouns, ['dog']);
  });

  test('word forms: plurals, verb forms and irregulars count as the word, other words do not', () => {
    assert.ok(sameWord('dog', 'dogs') && sameWord('dogs', 'dog'));
    assert.ok(sameWord('sit', 'sitting') && sameWord('sit', 'sat') && sameWord('ski', 'skiing'));
    assert.ok(sameWord('man', 'men') && sameWord('bus', 'buses') && sameWord('puppy', 'puppies'));
    assert.ok(!sameWord('car', 'card') && !sameWord('cat', 'cattle'));
    assert.ok(inflections('ride').has('riding'));
    assert.ok(mentions(new Set(['women', 'table']), ['woman']));
    assert.ok(!mentions(new Set(['table']), ['woman']));
  });

  test('the COCO query list is fixed: at least 30 words, each with its forms', () => {
    assert.ok(COCO_QUERY_WORDS.length >= 30);
    for (const [word, forms] of COCO_QUERY_WORDS) assert.ok(forms.some((form) => sameWord(form, word)), word);
  });
});
