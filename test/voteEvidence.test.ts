// Which photos voted (Tag.evidence, ImageMatch.evidence) and texts of several
// words, through the real server on both stores: two uncaptioned photos, each
// near its own cluster of captioned photos (vectors chosen, so every vote is
// known in advance). Cluster A's captions say dog and beach, cluster B's
// only dog.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { contentWords, EVIDENCE_NEIGHBOURS, lemmaKey, TEXT_VOTE_SHIFT, TRANSFER } from '../src/embedding/index.js';
import type { RunningServer } from '../src/http/server.js';
import { l2Normalize } from '../src/lib/vectors.js';
import { seedWords } from '../seeds/words.js';
import { createLogger } from '../src/logger.js';
import { serveDuringSuite, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { storeKinds } from './helpers/stores.js';
import { photoRow, pseudoVector } from './helpers/textPhotos.js';

/** A unit vector `spread` away from `base`'s (about spread² / 2 in cosine distance). */
function near(base: string, name: string, spread: number): Float32Array {
  const [centre, noise] = [pseudoVector(base), pseudoVector(name)];
  return l2Normalize(centre.map((x, i) => x + spread * noise[i]!));
}

interface Captioned {
  id: string;
  cluster: 'a' | 'b';
  spread: number;
  captions: string[];
  reference?: boolean;
}

// dog: a1 (1), a2 (1), a4 (1/2), a5 (1) — four voters, so evidence shows three; beach: a1, a2 (1/2), a3.
const CAPTIONED: Captioned[] = [
  { id: 'a1', cluster: 'a', spread: 0.2, captions: ['A dog runs on the beach.', 'A brown dog on the sand.'] },
  { id: 'a2', cluster: 'a', spread: 0.25, captions: ['Two dogs on a beach.', 'Dogs in the water.'] },
  { id: 'a3', cluster: 'a', spread: 0.3, captions: ['A cat on the beach.'] },
  { id: 'a4', cluster: 'a', spread: 0.35, captions: ['A cat asleep.', 'A dog asleep on a sofa.'] },
  // A reference photo: it teaches, and evidence shows it, though no search answers with it.
  { id: 'a5', cluster: 'a', spread: 0.4, captions: ['A black dog.'], reference: true },
  { id: 'b1', cluster: 'b', spread: 0.2, captions: ['A dog in the grass.', 'A dog running.'] },
  { id: 'b2', cluster: 'b', spread: 0.25, captions: ['A brown dog.'] },
];
const VOCABULARY = ['dog', 'dogs', 'beach', 'cat', 'sand', 'water', 'grass', 'sofa', 'brown', 'black'];

interface EvidenceResult {
  image: { id: string; reference?: boolean };
  weight: number;
  caption: string;
}

const usesAny = (caption: string, words: readonly string[]) => contentWords(caption).some((word) => words.includes(lemmaKey(word)));

function assertHeaviestFirst(evidence: EvidenceResult[], label: string) {
  assert.ok(evidence.length > 0 && evidence.length <= EVIDENCE_NEIGHBOURS, `${label}: ${evidence.length} voters`);
  for (let i = 1; i < evidence.length; i++) assert.ok(evidence[i - 1]!.weight >= evidence[i]!.weight, `${label}: heaviest first`);
  assert.ok(evidence.every((e) => e.weight > 0 && e.weight <= 1), label);
}

for (const kind of storeKinds()) {
  describe(`vote evidence and texts of several words on ${kind}`, () => {
    let t: TestApp;
    let server: RunningServer;
    serveDuringSuite(kind, (app, running) => {
      [t, server] = [app, running];
    });

    before(async () => {
      const { words, seedState, images, tagVocabulary } = t.app.repositories;
      await seedWords(words, seedState, { limit: 0, indexMemory: '64MB', gloveFile: t.env.GLOVE_FILE }, createLogger('silent'));
      const vectors = await words.findVectors(['dog']);
      const dog = l2Normalize(vectors.get('dog')!);
      await images.insert([
        ...CAPTIONED.map((photo) =>
          photoRow({ ...photo, category: null, embedding: near(photo.cluster, photo.id, photo.spread), wordEmbedding: dog }),
        ),
        // The two photos asked about: no captions, the same word-space vector.
        photoRow({ id: 'qa', category: null, captions: [], embedding: near('a', 'qa', 0.2), wordEmbedding: dog }),
        photoRow({ id: 'qb', category: null, captions: [], embedding: near('b', 'qb', 0.2), wordEmbedding: dog }),
      ]);
      await tagVocabulary.replaceTagVocabulary(VOCABULARY, new Map([['dogs', 'dog']]));
    });

    const tagsOf = async (id: string) => {
      const res = await gql(
        server.url,
        'query ($id: ID) { tagsForImage(id: $id, first: 10) { word { text } source synonyms evidence { image { id reference } weight caption } } }',
        { id },
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      return res.data!.tagsForImage as { word: { text: string }; source: string; synonyms: string[]; evidence: EvidenceResult[] }[];
    };

    test('Tag.evidence: at most 3 of the voting neighbours, heaviest first, each with its caption using the tag; the same before and after the transfer is stored', async () => {
      // Before the transfer phase: the neighbours come from the index search.
      const searched = await tagsOf('qa');
      await t.app.services.transfer.refresh();
      const stored = await tagsOf('qa');
      assert.deepEqual(stored, searched);

      const dog = stored.find((tag) => tag.word.text === 'dog');
      assert.ok(dog, `dog among ${stored.map((tag) => tag.word.text)}`);
      assert.equal(dog.source, 'SIMILAR_PHOTOS');
      assertHeaviestFirst(dog.evidence, 'dog');
      assert.equal(dog.evidence.length, EVIDENCE_NEIGHBOURS, 'four neighbours voted: three shown');
      // a1 is nearest and all its captions say dog; a4, far and with half its captions, weighs least of the four.
      assert.equal(dog.evidence[0]!.image.id, 'a1');
      assert.deepEqual(dog.evidence.map((e) => e.image.id).sort(), ['a1', 'a2', 'a5'], JSON.stringify(dog.evidence));
      assert.deepEqual(dog.evidence.map((e) => e.image.reference), dog.evidence.map((e) => e.image.id === 'a5'), 'the reference photo shows');
      for (const e of dog.evidence) {
        assert.ok(usesAny(e.caption, ['dog']), `${e.image.id}: "${e.caption}" uses dog`);
        assert.ok(CAPTIONED.find((photo) => photo.id === e.image.id)!.captions.includes(e.caption));
      }
      const beach = stored.find((tag) => tag.word.text === 'beach');
      assert.ok(beach);
      assert.deepEqual(new Set(beach.evidence.map((e) => e.image.id)), new Set(['a1', 'a2', 'a3']));
      assert.ok(beach.evidence.every((e) => usesAny(e.caption, ['beach'])));
      // A tag no neighbour's caption uses has none.
      for (const tag of stored.filter((tag) => tag.source === 'MODEL')) assert.deepEqual(tag.evidence, []);
    });

    test('ImageMatch.evidence: the neighbours that voted for the text, heaviest first, with the caption using most of its words', async () => {
      await t.app.services.transfer.refresh();
      const res = await gql(
        server.url,
        '{ imagesForText(text: "dog beach", first: 9, mode: VECTOR) { image { id } scores { vote } evidence { image { id } weight caption } } }',
      );
      assert.equal(res.errors, undefined, JSON.stringify(res.errors));
      const matches = res.data!.imagesForText as { image: { id: string }; scores: { vote: number }; evidence: EvidenceResult[] }[];
      const qa = matches.find((m) => m.image.id === 'qa')!;
      assertHeaviestFirst(qa.evidence, 'qa');
      assert.equal(qa.evidence[0]!.image.id, 'a1', 'nearest, and its captions say both words');
      assert.ok(usesAny(qa.evidence[0]!.caption, ['dog']) && usesAny(qa.evidence[0]!.caption, ['beach']), qa.evidence[0]!.caption);
      assert.ok(qa.evidence.every((e) => usesAny(e.caption, ['dog', 'beach'])));
      const qb = matches.find((m) => m.image.id === 'qb')!;
      // Its own cluster's two; the other cluster, far away, weighs next to nothing.
      assert.deepEqual(qb.evidence.slice(0, 2).map((e) => e.image.id), ['b1', 'b2'], JSON.stringify(qb.evidence));
      assert.ok(qb.evidence.slice(2).every((e) => e.weight < 0.01));
      // KEYWORD asks no vote: no evidence.
      const keyword = await gql(server.url, '{ imagesForText(text: "dog", first: 3, mode: KEYWORD) { evidence { weight } } }');
      assert.equal(keyword.errors, undefined);
      assert.ok((keyword.data!.imagesForText as { evidence: unknown[] }[]).every((m) => m.evidence.length === 0));
    });

    test('the vote rule: a single word scores its cosine + weight × its vote exactly as before; of two words, both half-voted beat one fully voted', async () => {
      const { evalTextSearch } = t.app.repositories;
      const single = [
        { cosine: 0.31, votes: [0.42], keyCount: 1 },
        { cosine: 0.5, votes: [], keyCount: 1 },
        { cosine: -0.2, votes: [1], keyCount: 1 },
      ].map((input) => ({ ...input, voteWeight: TRANSFER.textVoteWeight, voteShift: TEXT_VOTE_SHIFT }));
      const scores = await evalTextSearch.textSearchScores(single);
      single.forEach((input, i) => assert.equal(scores[i], input.cosine + input.voteWeight * (input.votes[0] ?? 0)));
      // The mean would rank [1, 0] (0.5) above [0.45, 0.45] (0.45); all words together rank it below.
      const [both, one, none] = await evalTextSearch.textSearchScores(
        [[0.45, 0.45], [1], []].map((votes) => ({ cosine: 0, votes, keyCount: 2, voteWeight: 1, voteShift: TEXT_VOTE_SHIFT })),
      );
      assert.ok(both! > one! && one! > none!, `${both} > ${one} > ${none}`);
      assert.ok(Math.abs(both! - 0.45) < 1e-9, 'equal votes: their value');
      assert.equal(none, 0);
    });

    test('a text of two words ranks the photo whose neighbours\' captions use both above the one whose neighbours\' use one', async () => {
      await t.app.services.transfer.refresh();
      const res = await gql(server.url, '{ imagesForText(text: "dog on a beach", first: 9, mode: VECTOR) { image { id } } }');
      assert.equal(res.errors, undefined);
      const ids = (res.data!.imagesForText as { image: { id: string } }[]).map((m) => m.image.id);
      assert.ok(ids.indexOf('qa') >= 0 && ids.indexOf('qa') < ids.indexOf('qb'), `${ids}`);
    });

    test('the tag words a photo keeps (migrations/016) follow its own captions, its word-space vector and the tag vocabulary', async () => {
      const { tags, wordSpace, words, tagVocabulary } = t.app.repositories;
      await t.app.services.transfer.refresh();
      const kept = async (id: string) =>
        (await t.app.db.primary.query('SELECT transfer_tag_words IS NOT NULL AS kept FROM images WHERE id = $1', [id])).rows[0].kept;
      // Every voted word as the model's search finds it (all ten words are its candidates): the same tag, synonyms and distance.
      const assertCurrent = async (label: string) => {
        assert.equal(await kept('qa'), true, `${label}: kept`);
        const { model, voted } = await tags.tagEvidence({ ids: ['qa'] }, VOCABULARY.length, TRANSFER.neighbours, 100);
        assert.ok(voted.length > 0, label);
        for (const word of voted) {
          const found = model.find((m) => m.text === word.text)!;
          assert.deepEqual([word.tag, word.synonyms, word.distance], [found.tag, found.synonyms, found.distance], `${label}: ${word.text}`);
        }
        return voted;
      };
      await assertCurrent('stored');

      const own = await gql(server.url, 'mutation { updateImage(id: "qa", captions: ["A cat in the water."]) { id } }');
      assert.equal(own.errors, undefined, JSON.stringify(own.errors));
      const votedNow = await assertCurrent('own captions');
      const water = votedNow.find((word) => word.text === 'water')!;
      assert.ok(water.neighbours.includes(-1), 'its own caption uses water');
      assert.equal((await tagsOf('qa')).find((tag) => tag.word.text === 'water')?.source, 'CAPTION');

      const cat = l2Normalize((await words.findVectors(['cat'])).get('cat')!);
      await wordSpace.setWordEmbeddings(['qa'], [cat]);
      await assertCurrent('a new word-space vector');

      await tagVocabulary.replaceTagVocabulary(VOCABULARY, new Map([['dogs', 'dog'], ['water', 'beach']]));
      assert.equal(await kept('qa'), false, 'a new vocabulary: stale until the transfer phase');
      assert.equal(await t.app.repositories.transfers.fillMissingTagWords(100), 8, 'every photo with a transfer');
      const folded = (await assertCurrent('new tags')).find((word) => word.text === 'water')!;
      assert.equal(folded.tag, 'beach');
      // The tag beach, shown as the word its own caption used (water), with its name among the synonyms.
      const beach = (await tagsOf('qa')).find((tag) => tag.word.text === 'water');
      assert.equal(beach?.source, 'CAPTION', 'its water votes for beach');
      assert.ok(beach.synonyms.includes('beach'), `the tag beach shown as water: ${JSON.stringify(beach)}`);
    });
  });
}
