// Folding the tag vocabulary with real WordNet synonyms and real GloVe vectors
// (a small vocabulary the test builds): spelling variants, synonyms and plural
// forms become one tag named by the class word or the most frequent form, and
// a ranked list of near words comes back as distinct tags with their synonyms.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadWordNet } from '../src/dataset/wordnet.js';
import { foldTags, foldTagVocabulary, lemmaKey, readGloveWords, type TagCandidate } from '../src/embedding/index.js';
import { dot, l2Normalize } from '../src/lib/vectors.js';
import { buildTestGlove } from './helpers/glove.js';

describe('folding tags', () => {
  let vocabulary: { text: string; vector: Float32Array }[];
  let tagOf: Map<string, string>;

  before(async () => {
    const file = await buildTestGlove();
    vocabulary = [];
    for await (const word of readGloveWords({ file })) {
      if (/^[a-z]{2,}$/.test(word.text)) vocabulary.push({ text: word.text, vector: word.vector });
    }
    const wordnet = loadWordNet();
    tagOf = foldTagVocabulary(vocabulary, ['aeroplane', 'dog', 'tv', 'monitor'], (word) => wordnet.mainSense(word));
  });

  /** The vocabulary ranked by distance to a word's vector, as the tag query returns it. */
  function nearest(word: string): TagCandidate[] {
    const query = l2Normalize(vocabulary.find((w) => w.text === word)!.vector);
    const synonymsOf = (tag: string) => [...tagOf].filter(([text, t]) => t === tag && text !== tag).map(([text]) => text);
    return vocabulary
      .map((w) => ({ text: w.text, tag: tagOf.get(w.text) ?? null, vector: w.vector, distance: 1 - dot(query, l2Normalize(w.vector)) }))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 25)
      .map((c) => ({ ...c, synonyms: synonymsOf(c.tag ?? c.text) }));
  }

  test('spelling variants and synonyms share a tag: the class word where there is one, else the most frequent form', () => {
    assert.equal(tagOf.get('airplane'), 'aeroplane');
    assert.equal(tagOf.get('plane'), 'aeroplane');
    assert.equal(tagOf.get('grey'), tagOf.get('gray'));
    assert.equal(tagOf.get('television'), 'tv');
    assert.equal(tagOf.get('dogs'), 'dog');
    assert.equal(tagOf.get('cat'), 'cat', 'a word without synonyms is its own tag');
    assert.notEqual(tagOf.get('dog'), tagOf.get('cat'), 'related words that are not synonyms stay apart');
  });

  test('aeroplane and airplane come back as one tag, with its synonyms', () => {
    const tags = foldTags(nearest('airplane'), 5);
    const aeroplane = tags.filter((tag) => ['aeroplane', 'airplane', 'plane', 'planes'].includes(tag.text));
    assert.equal(aeroplane.length, 1, tags.map((tag) => tag.text).join(', '));
    assert.equal(aeroplane[0]!.text, 'aeroplane');
    assert.ok(aeroplane[0]!.synonyms.includes('airplane') && aeroplane[0]!.synonyms.includes('plane'), `${aeroplane[0]!.synonyms}`);
    assert.ok(aeroplane[0]!.distance < 1e-6, 'the distance of its nearest form (airplane itself)');
  });

  test('a tag whose captions said airplane is shown as airplane; its name joins its synonyms', () => {
    const tags = foldTags(nearest('airplane').map((c) => (c.tag === 'aeroplane' ? { ...c, shown: 'airplane' } : c)), 5);
    const plane = tags.find((tag) => tag.synonyms.includes('aeroplane') || tag.text === 'aeroplane')!;
    assert.equal(plane.text, 'airplane');
    assert.ok(plane.synonyms.includes('aeroplane') && plane.synonyms.includes('plane') && !plane.synonyms.includes('airplane'), `${plane.synonyms}`);
    assert.equal(tags.filter((tag) => tag === plane || ['aeroplane', 'plane', 'planes'].includes(tag.text)).length, 1, 'still one tag');
  });

  test('plurals in -ses, -xes, -ches and -shes, in -men and irregular ones fold to their singular', () => {
    const singulars = {
      ...{ horses: 'horse', houses: 'house', boxes: 'box', watches: 'watch', dishes: 'dish', glasses: 'glass', buses: 'bus', dogs: 'dog', puppies: 'puppy' },
      ...{ women: 'woman', men: 'man', firemen: 'fireman', children: 'child', feet: 'foot', knives: 'knife' },
    };
    for (const [plural, singular] of Object.entries(singulars)) {
      assert.equal(lemmaKey(plural), singular, plural);
      assert.equal(lemmaKey(singular), singular, `${singular} is its own lemma`);
    }
  });

  test('a word that names a property of every object is its own lemma', () => {
    for (const word of ['constructor', 'tostring', 'valueof', '__proto__', 'hasownproperty']) assert.equal(lemmaKey(word), word, word);
  });

  test('horses fold into horse and boxes into box in the stored vocabulary', () => {
    assert.equal(tagOf.get('horses'), 'horse');
    assert.equal(tagOf.get('boxes'), 'box');
  });

  test('dog and dogs come back as one tag', () => {
    const tags = foldTags(nearest('dogs'), 5);
    const texts = tags.map((tag) => tag.text);
    assert.equal(texts.filter((text) => text === 'dog' || text === 'dogs').length, 1, texts.join(', '));
    assert.deepEqual(tags.find((tag) => tag.text === 'dog')?.synonyms, ['dogs']);
    assert.equal(new Set(texts).size, texts.length);
  });

  test('a word whose vector nearly equals a chosen tag\'s is dropped; the rest keep their order', () => {
    const v = (x: number, y: number) => l2Normalize(Float32Array.from([x, y]));
    const candidate = (text: string, vector: Float32Array, distance: number): TagCandidate => ({ text, tag: null, vector, distance, synonyms: [] });
    const tags = foldTags([candidate('a', v(1, 0), 0.1), candidate('b', v(1, 0.05), 0.11), candidate('c', v(0, 1), 0.5)], 5);
    assert.deepEqual(tags.map((tag) => tag.text), ['a', 'c']);
  });
});
