// Caption transfer's pure parts: the neighbours' weights, how votes and the
// model's score rank tags and name their source, and the stored text vector.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  neighbourWeights,
  OWN_CAPTIONS,
  scoreTags,
  textVoteKeys,
  transferredVector,
  transferredWordVotes,
  type TagCandidate,
  type TransferParameters,
} from '../src/embedding/index.js';
import { l2Normalize } from '../src/lib/vectors.js';

const P: TransferParameters = { neighbours: 3, temperature: 0.1, tagWeight: 0.5, tagShareExponent: 1, tagShowsCaptionWord: false, textWeight: 2, textVoteWeight: 1 };
const word = (text: string, distance: number, tag: string | null = null): TagCandidate => ({
  text,
  tag,
  distance,
  vector: l2Normalize(Float32Array.from([text.length, distance, 1])),
  synonyms: [],
});

test('neighbour weights sum to 1, nearer neighbours weigh more, and a lower temperature sharpens them', () => {
  const weights = neighbourWeights([0.1, 0.2, 0.4], 0.1);
  assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.ok(weights[0]! > weights[1]! && weights[1]! > weights[2]!);
  assert.ok(neighbourWeights([0.1, 0.2], 0.02)[0]! > neighbourWeights([0.1, 0.2], 0.2)[0]!);
  assert.deepEqual(neighbourWeights([], 0.1), []);
});

test('a word the neighbours\' captions use outranks a nearer model word; its forms vote as one tag; sources are named', () => {
  const tags = scoreTags(
    {
      modelCandidates: [word('horse', 0.3), word('cow', 0.35)],
      voted: [
        // Two neighbours say "snow", one of them as "snowy" folded into the tag snow.
        { ...word('snow', 0.5), neighbours: [0, 1], shares: [1, 0.4] },
        { ...word('snowy', 0.55, 'snow'), neighbours: [1], shares: [0.8] },
        { ...word('barn', 0.6), neighbours: [OWN_CAPTIONS], shares: [0.2] },
      ],
      neighbourDistances: [0.1, 0.1, 0.3],
    },
    P,
  );
  assert.deepEqual(
    tags.map((tag) => [tag.text, tag.source]),
    [
      ['snow', 'SIMILAR_PHOTOS'],
      ['snowy', 'SIMILAR_PHOTOS'],
      ['barn', 'CAPTION'],
      ['horse', 'MODEL'],
      ['cow', 'MODEL'],
    ],
  );
  // The folded forms share the tag's vote: snowy scores as snow does, less its model distance.
  assert.ok(Math.abs(tags[0]!.score - tags[1]!.score - 0.5 * 0.05) < 1e-9);
});

test('the share exponent lifts a word few of a neighbour\'s captions use; a tag is shown as the word its captions use most', () => {
  const evidence = {
    modelCandidates: [],
    voted: [
      // One neighbour's captions all say "dog", the other's "dogs" (one tag, shown by its singular), and "beach" in one of five.
      { ...word('dog', 0.5), neighbours: [0], shares: [1] },
      { ...word('dogs', 0.5, 'dog'), neighbours: [1], shares: [1] },
      { ...word('beach', 0.5), neighbours: [1], shares: [0.2] },
      { ...word('sofa', 0.4), neighbours: [0], shares: [0.2] },
      { ...word('couch', 0.45, 'sofa'), neighbours: [0, 1], shares: [0.4, 0.6] },
    ],
    neighbourDistances: [0.1, 0.1],
  };
  const vote = (p: TransferParameters, text: string) => {
    const tag = scoreTags(evidence, { ...p, tagWeight: 1 }).find((t) => t.text === text)!;
    return tag.voters.reduce((sum, voter) => sum + voter.weight, 0);
  };
  // Equal weights 0.5: plain share 0.5 × 0.2 = 0.1; square root 0.5 × √0.2.
  assert.ok(Math.abs(vote(P, 'beach') - 0.1) < 1e-9);
  assert.ok(Math.abs(vote({ ...P, tagShareExponent: 0.5 }, 'beach') - 0.5 * Math.sqrt(0.2)) < 1e-9);
  assert.ok(Math.abs(vote({ ...P, tagShareExponent: 0.5 }, 'dog') - 1) < 1e-9, 'a share of 1 is 1 at any exponent');
  const shown = (p: TransferParameters) => Object.fromEntries(scoreTags(evidence, p).map((t) => [t.text, t.shown]));
  assert.deepEqual(shown({ ...P, tagShowsCaptionWord: true }), { dog: 'dog', dogs: 'dog', beach: 'beach', sofa: 'couch', couch: 'couch' });
  assert.deepEqual(shown(P), { dog: undefined, dogs: undefined, beach: undefined, sofa: undefined, couch: undefined });
});

test('the stored text vector: the neighbours\' caption vectors by weight, scaled; its radius is the farthest one', () => {
  const a = l2Normalize(Float32Array.from([1, 0, 0]));
  const b = l2Normalize(Float32Array.from([0, 1, 0]));
  const full = transferredVector(
    [
      { distance: 0.1, captionEmbedding: a },
      { distance: 0.1, captionEmbedding: b },
      { distance: 0.5, captionEmbedding: b },
    ],
    P,
  );
  assert.equal(full.radius, 0.5);
  const length = Math.hypot(...full.vector!);
  assert.ok(Math.abs(length - P.textWeight) < 1e-6);
  assert.ok(full.vector![1]! > full.vector![0]!, 'b has more weight');
  const few = transferredVector([{ distance: 0.2, captionEmbedding: a }], P);
  assert.equal(few.radius, Infinity, 'fewer than k neighbours: any new captioned photo is one');
  assert.deepEqual(transferredVector([], P), { vector: null, radius: Infinity });
});

test('text search\'s word votes: the neighbours\' caption shares by weight, plural forms as one word, a text\'s vote the mean over its words', () => {
  const votes = transferredWordVotes(
    [
      // Two captions: "dog" in both (once as "dogs"), "beach" in one.
      { distance: 0.1, captionWords: ['dog', 'beach', 'dogs'], captionCount: 2 },
      { distance: 0.1, captionWords: ['cat'], captionCount: 1 },
      { distance: 0.9, captionWords: ['beach', 'dog', 'dogs'], captionCount: 1 },
    ],
    P,
  );
  const byWord = new Map(votes);
  const [near, , far] = neighbourWeights([0.1, 0.1, 0.9], P.temperature);
  assert.ok(Math.abs(byWord.get('dog')! - (near! * 1 + far! * 1)) < 1e-9, 'a caption with dog and dogs counts once');
  assert.ok(Math.abs(byWord.get('beach')! - (near! * 0.5 + far! * 1)) < 1e-9);
  assert.equal(byWord.has('dogs'), false, 'plural forms fold into one key');
  assert.deepEqual(votes.map(([word]) => word), ['dog', 'cat', 'beach'], 'best voted first');
  const total = votes.reduce((sum, [, vote]) => sum + vote, 0);
  assert.ok(total <= 3 + 1e-9);
  assert.deepEqual(textVoteKeys(['dogs', 'dog', 'beach']), ['dog', 'beach']);
  assert.deepEqual(transferredWordVotes([], P), []);
});
