// The "like this photo, but…" and duplicates parts of `npm run eval` (alone:
// `npm run eval -- --photos`): measured through the services and the image
// model the store serves with.
import type { App } from '../app.js';
import { listPascalImages } from '../dataset/pascal.js';
import { COPY_KINDS, evaluateDuplicates, type DuplicateResults } from '../eval/duplicates.js';
import type { ReportTable } from '../eval/evalReport.js';
import { evaluateSteered, STEERED_QUERY, TEXT_WEIGHTS, type SteeredResults } from '../eval/steeredSimilarity.js';

export interface PhotoMeasures {
  results: { steered: SteeredResults; duplicates: DuplicateResults };
  summaryRows: [string, number][];
  tables: ReportTable[];
}

export async function evaluatePhotos(app: App, log: (line: string) => void): Promise<PhotoMeasures> {
  const { images, imageText, steered } = app.services;
  const pascal = await app.repositories.wordSpace.trainingImages();
  const cats = pascal.filter((row) => row.category === STEERED_QUERY.category).map((row) => row.id);
  const steeredResults = await evaluateSteered(cats, {
    similar: (id) => images.similarImages({ id, first: 10 }),
    text: async (text) => (await imageText.imagesForText({ text, first: 11 })).matches,
    steered: async (id, text, textWeight) => (await steered.similarImages({ id, text, textWeight, first: 10 })).matches,
  });
  const files = new Map(listPascalImages(app.config.assets.dir).map((image) => [image.id, image.file]));
  const searched = await app.repositories.images.findEmbeddings(pascal.map((row) => row.id));
  const photos = pascal.map((row, i) => ({ id: row.id, file: files.get(row.id)!, features: row.features, searched: searched[i]! }));
  const duplicates = await evaluateDuplicates(photos, {
    embed: async (bytes) =>
      Promise.all(
        (await app.embedder.embedImages(bytes)).map(async ({ features }) => ({ features, searched: (await images.searchVector(features)).vector })),
      ),
    log,
  });
  const summaryRows: [string, number][] = [
    [`like this, but: cat photo + "sofa", share of top 10 using both words: similarImages alone (${steeredResults.queries} cat photos)`, steeredResults.similarAlone],
    ['like this, but: imagesForText("cat sofa")', steeredResults.textAlone],
    ...TEXT_WEIGHTS.map((w): [string, number] => [`like this, but: similarImages + text "sofa", textWeight ${w}`, steeredResults.steered[String(w)]!]),
    ...COPY_KINDS.map((kind): [string, number] => [`duplicates: recall of ${kind} copies (as stored)`, duplicates.recall[kind].store]),
    [`duplicates: false pairs among ${duplicates.photos} distinct photos`, duplicates.falsePairs.count],
    ['duplicates: copies paired with another photo', duplicates.falseCopyPairs],
  ];
  const tables: ReportTable[] = [
    {
      title: 'Duplicates by kind of copy',
      note: `${duplicates.copiesPerKind} copies of each kind; rule: features within ${duplicates.rule.maxFeatureDistance} and dHash within ${duplicates.rule.maxHashDistance} bits; as stored: also among the ${duplicates.rule.candidates} nearest by searched vector.`,
      header: ['kind', 'recall (rule)', 'recall (as stored)'],
      rows: COPY_KINDS.map((kind) => [kind, duplicates.recall[kind].rule, duplicates.recall[kind].store]),
    },
    {
      title: 'Duplicates: thresholds',
      note: `Recall over all kinds of copy and false pairs among the ${duplicates.photos} distinct photos.`,
      header: ['max feature distance', 'max hash bits', 'recall', 'false pairs'],
      rows: duplicates.grid.map((g) => [g.maxFeatureDistance, g.maxHashDistance, g.recall, g.falsePairs]),
    },
  ];
  return { results: { steered: steeredResults, duplicates }, summaryRows, tables };
}
