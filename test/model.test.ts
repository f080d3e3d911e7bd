// The pure model functions and shared helpers, without a database or a model
// file: text → GloVe space, tag de-duplication, caption words, the image
// projection's identity case, the fixed split, and vector maths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { heldOutNames, splitItems } from '../src/dataset/split.js';
import {
  applyImageProjection,
  candidatesFor,
  captionWordCounts,
  categoryWords,
  distinctLemmas,
  dropStopWords,
  embedText,
  tokenize,
} from '../src/embedding/index.js';
import { groupBy } from '../src/lib/groupBy.js';
import { dot, l2Normalize, meanVector } from '../src/lib/vectors.js';

const vector = (...values: number[]) => Float32Array.from(values);

describe('text → GloVe space', () => {
  test('tokenize lower-cases, strips punctuation around words, keeps a lone symbol, drops repeats', () => {
    assert.deepEqual(tokenize('  The DOG, the dog; "cat"!  & '), ['the', 'dog', 'cat', '&']);
  });

  test('dropStopWords keeps the content words, or every token when all are stop words', () => {
    assert.deepEqual(dropStopWords(['a', 'dog', 'on', 'the', 'sofa']), ['dog', 'sofa']);
    assert.deepEqual(dropStopWords(['the']), ['the']);
  });

  test('embedText averages the known words and lists the unknown ones', () => {
    const vectors = new Map([
      ['dog', vector(1, 0, 2)],
      ['cat', vector(3, 2, 0)],
    ]);
    const embedding = embedText(['dog', 'qwzx', 'cat'], vectors);
    assert.deepEqual(embedding.vector, vector(2, 1, 1));
    assert.deepEqual(embedding.known, ['dog', 'cat']);
    assert.deepEqual(embedding.unknown, ['qwzx']);
  });

  test('embedText with no known word has no vector', () => {
    assert.deepEqual(embedText(['qwzx'], new Map()), { vector: null, known: [], unknown: ['qwzx'] });
  });
});

describe('tags and captions', () => {
  test('distinctLemmas keeps the best form of each word, up to first', () => {
    const ranked = ['dogs', 'dog', 'puppies', 'puppy', 'buses', 'bus', 'cat'].map((text) => ({ text }));
    assert.deepEqual(
      distinctLemmas(ranked, 3).map((tag) => tag.text),
      ['dogs', 'puppies', 'buses'],
    );
    assert.ok(candidatesFor(5) > 5, 'more candidates are fetched than tags answered');
  });

  test('category words split the run-together Pascal names', () => {
    assert.deepEqual(categoryWords('pottedplant'), ['potted', 'plant']);
    assert.deepEqual(categoryWords('dog'), ['dog']);
  });

  test("caption word counts: content words, once per caption, possessives folded", () => {
    const counts = captionWordCounts(["A dog's bowl.", 'The dog sleeps near a dog.', 'Two cats']);
    assert.equal(counts.get('dog'), 2);
    assert.equal(counts.get('bowl'), 1);
    assert.equal(counts.get('cats'), 1);
    assert.equal(counts.has('the'), false);
  });
});

describe('image projection', () => {
  test('without a fitted projection the searched vector is the features', () => {
    const features = l2Normalize(vector(3, 4, 0));
    assert.equal(applyImageProjection(null, features), features);
  });
});

describe('the train / held-out split', () => {
  const items = ['a', 'b'].flatMap((category) =>
    Array.from({ length: 50 }, (_, i) => ({ name: `${category}-${i}`, category })),
  );

  test('holds out 10 per category of 50, the same ones whatever the order', () => {
    const heldOut = heldOutNames(items);
    assert.equal(heldOut.size, 20);
    assert.deepEqual([...heldOutNames([...items].reverse())].sort(), [...heldOut].sort());
    const { train, heldOut: held } = splitItems(items);
    assert.equal(train.length, 80);
    assert.deepEqual(held.map((item) => item.name).sort(), [...heldOut].sort());
  });

  test('holds out at most a fifth of a small category', () => {
    assert.equal(heldOutNames(items.slice(0, 7)).size, 1);
  });
});

describe('vector maths and grouping', () => {
  test('l2Normalize gives unit length (and leaves a zero vector alone); dot of unit vectors is the cosine', () => {
    const unit = l2Normalize(vector(3, 4));
    assert.ok(Math.abs(dot(unit, unit) - 1) < 1e-6);
    assert.deepEqual(l2Normalize(vector(0, 0)), vector(0, 0));
    assert.ok(Math.abs(dot(unit, l2Normalize(vector(4, -3)))) < 1e-6);
  });

  test('meanVector is the element-wise mean', () => {
    assert.deepEqual(meanVector([vector(1, 2), vector(3, 6)]), vector(2, 4));
  });

  test('groupBy keeps first-seen key order and input order within a group', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'a2', 'c1'], (s) => s[0]);
    assert.deepEqual([...groups.keys()], ['b', 'a', 'c']);
    assert.deepEqual(groups.get('b'), ['b1', 'b2']);
  });
});
