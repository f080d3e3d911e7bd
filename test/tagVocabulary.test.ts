// The tag vocabulary rule on real WordNet: words a photo can show qualify,
// function words, adverbs and abstract nouns never do, whatever the rule.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadWordNet } from '../src/dataset/wordnet.js';
import { DEFAULT_TAG_VOCABULARY_RULE, isDepictable, selectTagWords, TAG_VOCABULARY_RULES } from '../src/embedding/index.js';

const NEVER_TAGS = ['instead', 'every', 'another', 'front', 'top', 'back', 'well', 'where', 'night', 'way', 'side', 'result'];
const DEPICTABLE = ['dog', 'horses', 'men', 'children', 'kitchen', 'beach', 'grass', 'snow', 'field', 'food', 'red', 'white', 'car', 'hand'];

describe('tag vocabulary rule', () => {
  const wordnet = loadWordNet();
  const rules = Object.values(TAG_VOCABULARY_RULES).filter((rule) => !rule.everyWord);

  test('function words, adverbs and abstract nouns never qualify, by any rule', () => {
    for (const rule of rules) {
      assert.deepEqual(NEVER_TAGS.filter((word) => isDepictable(word, wordnet, rule)), [], rule.name);
    }
  });

  test('things, people, food, scenes and colours qualify by the default rule', () => {
    const rule = TAG_VOCABULARY_RULES[DEFAULT_TAG_VOCABULARY_RULE]!;
    assert.deepEqual(DEPICTABLE.filter((word) => !isDepictable(word, wordnet, rule)), []);
  });

  test('the first `size` qualifying words in rank order, plus the class words wherever they rank', () => {
    const ranked = ['the', 'instead', 'dog', 'front', 'kitchen', 'every', 'beach', 'table'];
    const rule = TAG_VOCABULARY_RULES[DEFAULT_TAG_VOCABULARY_RULE]!;
    assert.deepEqual(selectTagWords(ranked, wordnet, rule, 2, ['table']), ['dog', 'kitchen', 'table']);
  });
});
