// `npm run eval`: measures the stored models on the held-out images and
// writes eval/results.json, eval/report.html (tables and image grids), and a
// printed summary. Needs a seeded store (`npm run seed`). `-- --transfer`
// measures and prints the caption transfer alone; `-- --photos` the
// "like this photo, but…" and duplicates measures alone; `-- --word-pairs`
// texts of two words alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { App } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { categoryWords, initTfBackend, readWordModelMetadata } from '../embedding/index.js';
import { l2Normalize } from '../lib/vectors.js';
import { imageToImageMetrics } from '../eval/imageToImage.js';
import { linearProbe } from '../eval/linearProbe.js';
import { renderReport, type ReportTable, type SampleGrid, type Thumbnail } from '../eval/evalReport.js';
import { cocoSummaryRows, evaluateCocoTextSearch } from '../eval/cocoTextSearch.js';
import { evaluateCut, evaluateExclusion, steeringSummaryRows, steeringTables } from '../eval/searchSteering.js';
import { evaluateTextSearchModes, storeSearcher, textSearchSummaryRows } from '../eval/textSearchModes.js';
import { OPEN_VOCABULARY_QUERIES, scoreTags, scoreWordSpace, type ScoredImage, type VocabularyWord } from '../eval/wordModelMetrics.js';
import { MODEL_PHASE, wordModelOptions } from '../../seeds/wordModel.js';
import { withApp } from './boot.js';
import { cocoReport, scoreCocoSample, scoreHeldOutPascal } from './evalCaptions.js';
import { chooseWordModel, choiceTables, printChoices, type PhotoSet } from './evalWordModel.js';
import type { RidgeRecipe } from '../eval/wordModelSelection.js';
import { evaluatePhotos } from './evalPhotos.js';
import { evaluateTransfer } from './evalTransfer.js';
import { evaluateReference } from './evalReference.js';
import { CV_HEADER, cvRow, describe } from './evalReferenceChoice.js';
import { referenceSummaryRows, referenceTables, referenceTagGrid } from './evalReferenceReport.js';
import { evaluateWordPairs, printWordPairs, wordPairSummaryRows } from './evalWordPairs.js';

/** `npm run eval -- --choices`: only the recipe, vocabulary rule and hubness comparisons. */
const CHOICES_ONLY = process.argv.includes('--choices');
const TEXT_SAMPLES = ['dog', 'ocean', 'street', 'tree', 'cat sofa'];
const SAMPLE_RESULTS = 8;
const OUT_DIR = path.resolve('eval');

const unit = (words: { text: string; vector: Float32Array }[]): VocabularyWord[] =>
  words.map((word) => ({ text: word.text, vector: l2Normalize(word.vector) }));

async function thumbnail(app: App, id: string, category: string | null, caption: string): Promise<Thumbnail> {
  const file = await app.repositories.imageFiles.file(id);
  const jpeg = file
    ? await sharp(file.bytes).rotate().resize(120, 90, { fit: 'cover' }).jpeg({ quality: 70 }).toBuffer()
    : Buffer.alloc(0);
  return { id, category, caption, src: `data:image/jpeg;base64,${jpeg.toString('base64')}` };
}

async function sampleGrids(app: App, heldOut: (ScoredImage & { id: string })[]) {
  const { images, imageText } = app.services;
  const firstOfEach = [...new Map(heldOut.map((image) => [image.category, image])).values()];
  const imageGrids: SampleGrid[] = [];
  for (const query of firstOfEach.slice(0, 4)) {
    const matches = await images.similarImages({ id: query.id, first: SAMPLE_RESULTS });
    imageGrids.push({
      title: `similar to ${query.id} (${query.category})`,
      query: await thumbnail(app, query.id, query.category, `query: ${query.category}`),
      results: await Promise.all(
        matches.map((m) => thumbnail(app, m.image.id, m.image.category, `${m.image.category} ${m.distance.toFixed(3)}`)),
      ),
    });
  }
  const tagGrids: SampleGrid[] = [];
  for (const image of firstOfEach) {
    const tags = await imageText.tagsForImage({ id: image.id, first: 5 });
    tagGrids.push({
      title: `${image.id} (${image.category})`,
      words: tags.map((tag) => `${tag.text} ${tag.distance.toFixed(2)}`),
      results: [await thumbnail(app, image.id, image.category, image.category)],
    });
  }
  const textGrids: SampleGrid[] = [];
  for (const text of TEXT_SAMPLES) {
    const { matches } = await imageText.imagesForText({ text, first: SAMPLE_RESULTS, mode: 'VECTOR' });
    textGrids.push({
      title: `"${text}" (all stored images)`,
      results: await Promise.all(
        matches.map((m) => thumbnail(app, m.image.id, m.image.category, `${m.image.category} ${m.distance.toFixed(3)}`)),
      ),
    });
  }
  return {
    grids: [
      { heading: 'image → images (held-out queries, all images searched)', grids: imageGrids },
      { heading: 'image → tags (held-out images)', grids: tagGrids },
      { heading: 'text → images', grids: textGrids },
    ],
    samples: {
      tags: tagGrids.map((g) => ({ image: g.title, tags: g.words })),
      text: textGrids.map((g) => ({ text: g.title, results: g.results.map((r) => `${r.id} ${r.caption}`) })),
    },
  };
}

async function evaluate(app: App, config: Config): Promise<void> {
  const done = await app.repositories.seedState.completed();
  if (!done.has(MODEL_PHASE)) throw new Error('the store is not seeded with a model yet: run `npm run seed` first');
  const { wordSpace, tagVocabulary, words } = app.repositories;

  const pascal = await wordSpace.trainingImages();
  const heldOut = (await wordSpace.heldOutImages()).filter((row): row is typeof row & { category: string } => !!row.category);
  if (heldOut.length === 0) throw new Error('no held-out images with word-space vectors: run `npm run train`');
  // The vectors similarImages searches (features through the learned projection), and the plain features.
  const searched = await app.repositories.images.findEmbeddings(pascal.map((row) => row.id));
  const heldOutIds = new Set(heldOut.map((row) => row.id));
  const imageItems = (vectorOf: (i: number) => Float32Array) =>
    pascal.map((row, i) => ({ id: row.id, category: row.category, vector: l2Normalize(vectorOf(i)) }));
  const searchedItems = imageItems((i) => searched[i]!);
  const featureItems = imageItems((i) => pascal[i]!.features);
  const imageToImage = {
    ...imageToImageMetrics(searchedItems, 10),
    heldOutQueries: imageToImageMetrics(searchedItems, 10, searchedItems.filter((item) => heldOutIds.has(item.id))),
    featuresOnly: imageToImageMetrics(featureItems, 10),
  };
  const classWords = [...new Set(pascal.flatMap((row) => categoryWords(row.category)))];
  const vectors = await words.findVectors([...classWords, ...OPEN_VOCABULARY_QUERIES]);
  const vocabulary = unit(await tagVocabulary.tagVocabulary());
  const scores = scoreWordSpace(heldOut, vocabulary, vectors);
  const coco = await scoreCocoSample(app, config.assets.dir);
  const reportSets: PhotoSet[] = [
    { name: 'Pascal held out', photos: heldOut, vectors: heldOut.map((image) => image.vector) },
    ...(coco ? [{ name: 'COCO', photos: coco.photos, vectors: coco.photos.map((photo) => photo.vector) }] : []),
  ];
  const choices = await chooseWordModel(app, servedRecipe(config), reportSets, (line) => app.logger.info(line));
  if (CHOICES_ONLY) {
    printChoices(choices, (text) => process.stdout.write(text));
    return;
  }
  const categories = [...new Set(heldOut.map((image) => image.category))].sort();
  const perCategoryTags = Object.fromEntries(
    categories.map((c) => [c, scoreTags(heldOut.filter((image) => image.category === c), vocabulary)]),
  );
  await initTfBackend();
  const probe = linearProbe(
    featureItems.filter((item) => !heldOutIds.has(item.id)),
    featureItems.filter((item) => heldOutIds.has(item.id)),
  );
  const training = readWordModelMetadata(config.wordSpace.wordModelDir);
  const textSearchModes = await evaluateTextSearchModes(
    storeSearcher(app.repositories.evalTextSearch, config.images.efSearch),
    pascal.filter((row) => !heldOutIds.has(row.id)),
    pascal.filter((row) => heldOutIds.has(row.id)),
    OPEN_VOCABULARY_QUERIES,
  );
  const trainingRows = pascal.filter((row) => !heldOutIds.has(row.id));
  const heldOutRows = pascal.filter((row) => heldOutIds.has(row.id));
  const steering = {
    cut: await evaluateCut(app.repositories.evalTextSearch, config.images.efSearch, trainingRows, heldOutRows),
    exclusion: await evaluateExclusion(app.repositories.evalTextSearch, config.images.efSearch, trainingRows, heldOutRows),
  };
  const cocoTextSearch = await evaluateCocoTextSearch(app, (line) => app.logger.info(line));
  const { grids, samples } = await sampleGrids(app, heldOut);
  const pascalCaptions = await scoreHeldOutPascal(app, heldOut);
  const transfer = await evaluateTransfer(app, coco, (line) => app.logger.info(line));
  const wordPairs = await evaluateWordPairs(app, coco, (line) => app.logger.info(line));
  const photoMeasures = await evaluatePhotos(app, (line) => app.logger.info(line));
  const reference = await evaluateReference(app, config, false);

  const results = {
    measuredAt: new Date().toISOString(),
    store: app.db.kind,
    model: { ...done.get(MODEL_PHASE), training },
    heldOutImages: heldOut.length,
    tagVocabularyWords: vocabulary.length,
    imageToImage,
    tags: scores.tags,
    tagsPerCategory: perCategoryTags,
    wordModelChoices: choices,
    textToImage: { perClass: scores.classQueries, mean: scores.classQueriesMean },
    textSearchModes,
    steering,
    cocoTextSearch,
    classifierReference: probe,
    openVocabulary: {
      perWord: scores.openVocabulary,
      mean: scores.openVocabularyMean,
      chance: scores.openVocabularyChance,
    },
    cocoSample: coco?.scores ?? null,
    heldOutCaptions: pascalCaptions,
    captionTransfer: transfer.results,
    wordPairs,
    ...photoMeasures.results,
    referenceSet: reference?.results ?? null,
    samples,
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const recipe = String((training as { recipe?: string }).recipe ?? '?');
  const summaryRows: [string, number][] = [
    ['image→image P@10 (all 1000 queries)', imageToImage.precisionAtK],
    ['image→image mAP@10', imageToImage.mapAtK],
    ['image→image P@10 (200 held-out queries)', imageToImage.heldOutQueries.precisionAtK],
    ['image→image mAP@10 (200 held-out queries)', imageToImage.heldOutQueries.mapAtK],
    ['image→image P@10, features without the projection', imageToImage.featuresOnly.precisionAtK],
    ['tags (nearest words, plurals folded): class word is top-1 (held out)', scores.tags.top1],
    ['tags (nearest words, plurals folded): class word in top 5 (held out)', scores.tags.top5],
    ['text→image P@10, 20 class names (held out)', scores.classQueriesMean],
    [`open vocabulary P@10, ${Object.keys(scores.openVocabulary).length} caption words (held out)`, scores.openVocabularyMean],
    ['open vocabulary P@10 by chance', scores.openVocabularyChance],
    ['tags as served (own captions first): class word is top-1 (held out)', pascalCaptions.servedTagsTop1],
    ['tags as served (own captions first): class word in top 5 (held out)', pascalCaptions.servedTagsTop5],
    ['tags as served (own captions first): precision@5 against the captions (held out)', pascalCaptions.tagPrecisionAt5],
    ['tags as served (own captions first): recall@10 of frequent caption nouns (held out)', pascalCaptions.tagRecallAt10],
    ...(coco?.scores.textToImage
      ? ([
          [`COCO sample: text→image P@10, ${Object.keys(coco.scores.textToImage.perWord).length} words`, coco.scores.textToImage.mean],
          ['COCO sample: text→image P@10 by chance', coco.scores.textToImage.chance],
          ['COCO sample: tag precision@5', coco.scores.tagPrecisionAt5],
          ['COCO sample: tag recall@10 of frequent caption nouns', coco.scores.tagRecallAt10],
        ] as [string, number][])
      : []),
    ...textSearchSummaryRows(textSearchModes),
    ...steeringSummaryRows(steering.cut, steering.exclusion),
    ...(cocoTextSearch ? cocoSummaryRows(cocoTextSearch) : []),
    ...transfer.summaryRows,
    ...wordPairSummaryRows(wordPairs),
    ...photoMeasures.summaryRows,
    ...(reference ? referenceSummaryRows(reference) : []),
    ['reference: 20-way linear classifier on the features, top-1 (held out)', probe.top1],
    ['reference: its top-5', probe.top5],
    ['reference: its class score as text→image P@10', probe.precisionAt10],
  ];
  const tables: ReportTable[] = [
    { title: 'Summary', header: ['metric', 'value'], rows: summaryRows },
    ...choiceTables(choices),
    {
      title: 'Per class (held out)',
      header: ['class', 'tags top-1', 'tags top-5', 'text→image P@10'],
      rows: categories.map((c) => [c, perCategoryTags[c]!.top1, perCategoryTags[c]!.top5, scores.classQueries[c] ?? 0]),
    },
    {
      title: 'Hybrid search: the fusion constant (training images only)',
      note: 'HYBRID P@10 searching the 800 training images alone, for each reciprocal rank fusion constant k; the product uses the best mean.',
      header: ['k', 'class names', 'caption words', 'mean'],
      rows: textSearchModes.rrfOnTraining.map((trial) => [
        String(trial.rrfK),
        trial.byQuerySet.classNames!,
        trial.byQuerySet.captionWords!,
        trial.mean,
      ]),
    },
    ...steeringTables(steering.cut, steering.exclusion),
    {
      title: 'Open vocabulary proxy (held out)',
      note: 'Query = a caption word that is not a class name; relevant = held-out images whose captions use it (or its plural/singular).',
      header: ['word', 'P@10', 'chance'],
      rows: Object.entries(scores.openVocabulary).map(([word, s]) => [word, s.precision, s.chance]),
    },
  ];
  const cocoPart = coco ? await cocoReport(app, coco) : { tables: [], grids: [] };
  writeFileSync(
    path.join(OUT_DIR, 'report.html'),
    renderReport({
      title: 'semsearch evaluation',
      summary: [
        `model '${recipe}', ${heldOut.length} held-out images, tag vocabulary ${vocabulary.length} words, store ${app.db.kind}`,
        `measured ${results.measuredAt}`,
      ],
      tables: [...tables, ...cocoPart.tables, ...transfer.tables, ...photoMeasures.tables, ...(reference ? referenceTables(reference) : [])],
      grids: [
        ...grids,
        ...cocoPart.grids,
        { heading: 'COCO sample: tags before (the model alone) and after caption transfer (✓ captions use the tag; its source; ← the photos that voted: Tag.evidence, with their weights)', grids: transfer.grids },
        ...(reference
          ? [{ heading: 'COCO sample: tags before (Pascal captions, parameters before issue 25) and after (with the reference set, served parameters)', grids: await referenceTagGrid(reference) }]
          : []),
      ],
    }),
  );

  const width = Math.max(...summaryRows.map(([name]) => name.length));
  process.stdout.write(`model '${recipe}' — ${heldOut.length} held-out images\n`);
  for (const [name, value] of summaryRows) process.stdout.write(`${name.padEnd(width)}  ${value.toFixed(3)}\n`);
  printChoices(choices, (text) => process.stdout.write(text));
  process.stdout.write(`wrote ${path.join('eval', 'results.json')} and ${path.join('eval', 'report.html')}\n`);
}

/** The served recipe as a ridge recipe (its class weight and ridge strength), for the out-of-fold comparisons. */
function servedRecipe(config: Config): RidgeRecipe {
  const { target, settings } = wordModelOptions(config.wordSpace).recipe;
  const classWeight = target.kind === 'class' ? 1 : target.kind === 'caption' ? 0 : (target.classWeight ?? 0.5);
  return { classWeight, lambda: settings.ridge ?? 1, idf: 'idf' in target && !!target.idf };
}

/** `--transfer`: the caption transfer's figures alone (the cross-validation, Pascal held out, COCO). */
async function evaluateTransferOnly(app: App, config: Config): Promise<void> {
  const coco = await scoreCocoSample(app, config.assets.dir);
  const { results, summaryRows } = await evaluateTransfer(app, coco, (line) => app.logger.info(line));
  const width = Math.max(...summaryRows.map(([name]) => name.length));
  for (const [name, value] of summaryRows) process.stdout.write(`${name.padEnd(width)}  ${value.toFixed(3)}\n`);
  process.stdout.write(`${JSON.stringify(results.parameters)}\n`);
  process.stdout.write('cross-validation (k, T, tag weight, text weight, text vote weight: tag precision@5, tags top-5, class P@10, open vocabulary P@10):\n');
  for (const t of [results.crossValidation.modelOnly, ...results.crossValidation.trials]) {
    const figures = [t.tagPrecisionAt5, t.tagsTop5, t.classTextToImage, t.openVocabulary].map((x) => x.toFixed(3)).join(' ');
    process.stdout.write(`  ${t.neighbours} ${t.temperature} ${t.tagWeight} ${t.textWeight} ${t.textVoteWeight}: ${figures}\n`);
  }
}

/** `--reference`: the reference set's part alone, printed and written to eval/reference.json. */
async function evaluateReferenceOnly(app: App, config: Config): Promise<void> {
  const reference = await evaluateReference(app, config);
  if (!reference) throw new Error('no reference set (flickr8k-reference) in ASSETS_DIR');
  const { results } = reference;
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'reference.json'), `${JSON.stringify(results, null, 2)}\n`);
  const tagsHeading = 'COCO sample: tags before (Pascal captions, parameters before issue 25) and after (with the reference set, served parameters)';
  writeFileSync(
    path.join(OUT_DIR, 'reference.html'),
    renderReport({
      title: 'semsearch evaluation: the reference set',
      summary: referenceSummaryRows(reference).map(([name, value]) => `${name}: ${value.toFixed(3)}`),
      tables: referenceTables(reference),
      grids: [{ heading: tagsHeading, grids: await referenceTagGrid(reference) }],
    }),
  );
  if (results.chosen) {
    process.stdout.write(`${CV_HEADER.join(' | ')}\n`);
    for (const trial of results.chosen.trials) process.stdout.write(`${cvRow(trial).map((x) => (typeof x === 'number' ? x.toFixed(3) : x)).join(' | ')}\n`);
    process.stdout.write(`chosen: ${JSON.stringify(results.chosen.chosen)}\nConSE: ${describe(results.chosen.conse.best)}\n`);
  }
  for (const trial of results.tagFusion?.trials ?? []) process.stdout.write(`tag fusion: ${describe(trial)}\n`);
  if (results.tagFusion) process.stdout.write(`tag fusion chosen: ${JSON.stringify(results.tagFusion.chosen)}\n`);
  for (const trial of results.conseTrials ?? []) process.stdout.write(`ConSE: ${describe(trial)}\n`);
  process.stdout.write(`cross-validation before: ${describe(results.crossValidation.before)}\n`);
  process.stdout.write(`cross-validation after:  ${describe(results.crossValidation.after)}\n`);
  process.stdout.write(`cross-validation after, the model fitted on Pascal alone: ${describe(results.crossValidation.afterPascalModel)}\n`);
  const byFeatures = results.crossValidation.afterFeatureNeighbours;
  if (byFeatures) {
    process.stdout.write(`cross-validation after, neighbours by the plain features: ${describe(byFeatures)}\n`);
    for (const [name, r] of [['projection', results.crossValidation.after], ['features', byFeatures]] as const) {
      r.folds.forEach((fold, f) => process.stdout.write(`  fold ${f + 1}, neighbours by the ${name}: ${JSON.stringify(fold)}\n`));
    }
    for (const trial of results.featureNeighbours?.temperatures ?? []) process.stdout.write(`  by the plain features: ${describe(trial)}\n`);
    for (const trial of results.featureNeighbours?.spaces ?? []) process.stdout.write(`  by ${trial.neighbourSpace}: ${describe(trial)}\n`);
    process.stdout.write(`  neighbour distances (1st, k-th): ${JSON.stringify(results.featureNeighbours?.distances)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ pascalFloors: results.pascalFloors }, null, 1)}\n`);
  for (const when of ['before', 'afterPlainTags', 'after', 'afterPascalModel', 'afterFeatureNeighbours'] as const) {
    const s = results.coco?.[when];
    if (s) process.stdout.write(`COCO ${when}: text→image P@10 ${s.textToImage!.mean.toFixed(3)}, tag P@5 ${s.tagPrecisionAt5.toFixed(3)}, tag R@10 ${s.tagRecallAt10.toFixed(3)}\n`);
  }
  for (const [space, s] of Object.entries(results.coco?.otherSpaces ?? {})) {
    process.stdout.write(`COCO, neighbours by ${space}: text→image P@10 ${s.textToImage!.mean.toFixed(3)}, tag P@5 ${s.tagPrecisionAt5.toFixed(3)}, tag R@10 ${s.tagRecallAt10.toFixed(3)}\n`);
  }
}

/** `--word-pairs`: texts of two words alone, printed and written to eval/word-pairs.json. */
async function evaluateWordPairsOnly(app: App, config: Config): Promise<void> {
  const coco = await scoreCocoSample(app, config.assets.dir);
  const results = await evaluateWordPairs(app, coco, (line) => app.logger.info(line));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'word-pairs.json'), `${JSON.stringify(results, null, 2)}\n`);
  printWordPairs(results, (text) => process.stdout.write(text));
}

/** `--photos`: "like this photo, but…" and duplicates alone, printed and written to eval/photos.json. */
async function evaluatePhotosOnly(app: App): Promise<void> {
  const { results, summaryRows } = await evaluatePhotos(app, (line) => app.logger.info(line));
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(path.join(OUT_DIR, 'photos.json'), `${JSON.stringify(results, null, 2)}\n`);
  const width = Math.max(...summaryRows.map(([name]) => name.length));
  for (const [name, value] of summaryRows) process.stdout.write(`${name.padEnd(width)}  ${value.toFixed(3)}\n`);
}

const config = loadConfig();
const ONLY = {
  '--transfer': evaluateTransferOnly,
  '--photos': evaluatePhotosOnly,
  '--word-pairs': evaluateWordPairsOnly,
  '--reference': evaluateReferenceOnly,
} as const;
const only = Object.entries(ONLY).find(([flag]) => process.argv.includes(flag))?.[1];
await withApp((app) => (only ?? evaluate)(app, config), config);
