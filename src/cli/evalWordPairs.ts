// The several-words part of `npm run eval` (`-- --word-pairs` alone): texts of
// two words that captions use together, a photo relevant when its own
// captions use both. The vote's shift is chosen on training data only (Pascal's
// training split, each photo against the others; with `--tune`, also
// photos of the reference set against Pascal and the rest of them), then the
// COCO sample is measured with no COCO caption stored (the Pascal photos'
// captions vote) under the mean of the words' votes (before) and the served
// rule (after). COCO never chooses anything.
import { existsSync } from 'node:fs';
import type { App } from '../app.js';
import { listReferencePhotos, referenceCaptionsFile, referenceDir, type ReferencePhoto } from '../dataset/referenceSet.js';
import { captionWordList, TEXT_VOTE_SHIFT, TRANSFER } from '../embedding/index.js';
import { COCO_QUERY_WORDS } from '../eval/cocoQueries.js';
import { buildPool, nearestInPool, type Neighbour, type TransferPhoto } from '../eval/transfer.js';
import {
  captionWordGroups,
  MEAN_SHIFT,
  MIN_PAIR_CAPTIONS,
  VOTE_SHIFTS,
  wordPairPrecision,
  wordPairQueries,
  type WordPairQuery,
} from '../eval/wordPairs.js';
import { embedCocoPhotos, type scoreCocoSample } from './evalCaptions.js';
import { pascalTransferPhotos, transferPhotos } from './evalTransfer.js';

type Coco = NonNullable<Awaited<ReturnType<typeof scoreCocoSample>>>;

/** A word of a training set is a query word when the captions of this many photos use it (the COCO list's rule). */
const MIN_GROUP_PHOTOS = 8;
/** Reference photos embedded for tuning (`--tune`): the first of the set's list. */
const REFERENCE_TUNING_PHOTOS = 1000;

export interface ShiftTrial {
  shift: number;
  precision: number;
}

export interface WordPairSet {
  name: string;
  photos: number;
  pairs: number;
  examples: string[];
  trials: ShiftTrial[];
}

export interface WordPairResults {
  served: { shift: number };
  minPairCaptions: number;
  /** Training sets: P@10 at each shift (what chose the served one). */
  tuning: WordPairSet[];
  /** The COCO sample, no COCO caption stored: the model alone, the mean of the words' votes (before), the served rule (after). */
  coco: (Omit<WordPairSet, 'trials'> & { modelOnly: number; before: number; after: number }) | null;
  /** With `--tune`: the same with the reference photos embedded for tuning in the pool too (what a store with the reference set votes with). */
  cocoWithReference: { referencePhotos: number; before: number; after: number } | null;
}

/** The reference set's first `n` photos as listed (file, captions), or [] when it is not in the assets. */
function readReferenceSample(assetsDir: string, n: number): ReferencePhoto[] {
  if (!existsSync(referenceCaptionsFile(referenceDir(assetsDir)))) return [];
  return listReferencePhotos(assetsDir)
    .slice(0, n)
    .map((photo) => ({ ...photo, id: `reference-${photo.id}` }));
}

async function sweep(
  name: string,
  photos: readonly TransferPhoto[],
  near: readonly (readonly Neighbour[])[],
  queries: readonly WordPairQuery[],
  app: App,
): Promise<WordPairSet> {
  const trials: ShiftTrial[] = [];
  for (const shift of VOTE_SHIFTS) {
    trials.push({ shift, precision: await wordPairPrecision(photos, near, queries, TRANSFER, app.repositories.evalTextSearch, shift) });
  }
  return { name, photos: photos.length, pairs: queries.length, examples: queries.slice(0, 8).map((q) => q.words.join(' ')), trials };
}

export async function evaluateWordPairs(
  app: App,
  coco: Coco | null,
  options: { tune: boolean },
  log: (line: string) => void,
): Promise<WordPairResults> {
  const { words, tagVocabulary, evalTextSearch: rules } = app.repositories;
  const { pascal, heldOutIds } = await pascalTransferPhotos(app);
  const reference = options.tune ? readReferenceSample(app.config.assets.dir, REFERENCE_TUNING_PHOTOS) : [];
  if (reference.length > 0) log(`word pairs: embedding ${reference.length} reference photos for tuning`);
  const embedded = reference.length > 0 ? await embedCocoPhotos(app, reference) : { features: [], vectors: [] };
  const referencePhotos = await transferPhotos(app, reference, embedded.features, embedded.vectors);

  const captionSets = [...pascal, ...(coco?.sample ?? []), ...reference].map((photo) => photo.captions);
  const vectors = await words.findVectors([...new Set(captionSets.flatMap((captions) => captionWordList(captions)))]);
  const tagWords = new Set((await tagVocabulary.tagVocabulary()).map((word) => word.text));
  const trainingQueries = (sets: readonly (readonly string[])[]) =>
    wordPairQueries(sets, captionWordGroups(sets, MIN_GROUP_PHOTOS, (word) => tagWords.has(word)), vectors);

  const tuning: WordPairSet[] = [];
  const training = pascal.filter((photo) => !heldOutIds.has(photo.id));
  const trainingPool = buildPool(training, vectors);
  tuning.push(
    await sweep(
      'Pascal training split, each photo against the other training photos',
      training,
      nearestInPool(training, trainingPool, TRANSFER.neighbours),
      trainingQueries(training.map((photo) => photo.captions)),
      app,
    ),
  );
  if (referencePhotos.length > 0) {
    const pool = buildPool([...pascal, ...referencePhotos], vectors);
    tuning.push(
      await sweep(
        `${referencePhotos.length} reference photos, each against Pascal and the other reference photos`,
        referencePhotos,
        nearestInPool(referencePhotos, pool, TRANSFER.neighbours),
        trainingQueries(reference.map((photo) => photo.captions)),
        app,
      ),
    );
  }

  let cocoResult: WordPairResults['coco'] = null;
  let cocoWithReference: WordPairResults['cocoWithReference'] = null;
  if (coco) {
    const photos = await transferPhotos(app, coco.sample, coco.features, coco.photos.map((photo) => photo.vector));
    const pascalPool = buildPool(pascal, vectors);
    const near = nearestInPool(photos, pascalPool, TRANSFER.neighbours);
    const queries = wordPairQueries(
      coco.sample.map((photo) => photo.captions),
      COCO_QUERY_WORDS.map(([word, forms]) => ({ word, forms })),
      vectors,
    );
    const at = (neighbours: readonly (readonly Neighbour[])[], shift: number) => wordPairPrecision(photos, neighbours, queries, TRANSFER, rules, shift);
    cocoResult = {
      name: 'COCO sample, no COCO caption stored (Pascal captions vote)',
      photos: photos.length,
      pairs: queries.length,
      examples: queries.slice(0, 8).map((q) => q.words.join(' ')),
      modelOnly: await at(photos.map(() => []), TEXT_VOTE_SHIFT),
      before: await at(near, MEAN_SHIFT),
      after: await at(near, TEXT_VOTE_SHIFT),
    };
    if (referencePhotos.length > 0) {
      const withReference = buildPool([...pascal, ...referencePhotos], vectors);
      const nearer = nearestInPool(photos, withReference, TRANSFER.neighbours);
      cocoWithReference = {
        referencePhotos: referencePhotos.length,
        before: await at(nearer, MEAN_SHIFT),
        after: await at(nearer, TEXT_VOTE_SHIFT),
      };
    }
  }
  return { served: { shift: TEXT_VOTE_SHIFT }, minPairCaptions: MIN_PAIR_CAPTIONS, tuning, coco: cocoResult, cocoWithReference };
}

/** Summary lines of the full evaluation. */
export function wordPairSummaryRows(r: WordPairResults): [string, number][] {
  if (!r.coco) return [];
  const label = `COCO no COCO captions, word-pair P@10 (${r.coco.pairs} pairs used together in ≥ ${r.minPairCaptions} captions)`;
  const withReference = r.cocoWithReference;
  return [
    [`${label}, model only`, r.coco.modelOnly],
    [`${label}, mean of the words' votes (before)`, r.coco.before],
    [`${label}, all words together, shift ${r.served.shift} (after)`, r.coco.after],
    ...(withReference
      ? ([
          [`${label}, ${withReference.referencePhotos} reference photos also voting, mean (before)`, withReference.before],
          [`${label}, ${withReference.referencePhotos} reference photos also voting, all words together (after)`, withReference.after],
        ] as [string, number][])
      : []),
  ];
}

/** The results as printed lines. */
export function printWordPairs(r: WordPairResults, write: (text: string) => void): void {
  for (const set of r.tuning) {
    write(`${set.name}: ${set.photos} photos, ${set.pairs} pairs (e.g. ${set.examples.join(', ')})\n`);
    for (const t of set.trials) write(`  shift ${t.shift === MEAN_SHIFT ? 'mean' : t.shift}: P@10 ${t.precision.toFixed(3)}\n`);
  }
  if (r.coco) {
    write(`${r.coco.name}: ${r.coco.photos} photos, ${r.coco.pairs} pairs (e.g. ${r.coco.examples.join(', ')})\n`);
    for (const [name, value] of wordPairSummaryRows(r)) write(`  ${name}: ${value.toFixed(3)}\n`);
  }
}
