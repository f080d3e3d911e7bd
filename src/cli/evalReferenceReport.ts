// The reference part's rows in `npm run eval`'s summary, its tables and the
// report's grid of 12 COCO photos' tags before (Pascal's captions alone,
// today's parameters) and after (with the reference set, the served ones).
import type { ReportTable, SampleGrid } from '../eval/evalReport.js';
import { captionWordSet } from '../eval/captionMetrics.js';
import { cocoThumbnail } from './evalCaptions.js';
import { CV_HEADER, cvRow, TRANSFER_BEFORE } from './evalReferenceChoice.js';
import type { ReferenceEvaluation } from './evalReference.js';
import { labelled } from './evalTransfer.js';
import { TRANSFER } from '../embedding/index.js';

const GRID_TAG_PHOTOS = 12;
const TAGS_SHOWN = 8;

export function referenceSummaryRows({ results: r }: ReferenceEvaluation): [string, number][] {
  const rows: [string, number][] = [];
  for (const when of ['before', 'after'] as const) {
    const cv = r.crossValidation[when];
    const label = `reference CV (${when}: ${when === 'before' ? "today's parameters" : 'served'})`;
    rows.push(
      [`${label}: reference photos, tag precision@5`, cv.reference.tagPrecisionAt5],
      [`${label}: reference photos, tag recall@10`, cv.reference.tagRecallAt10],
      [`${label}: reference photos, text→image P@10 (${r.cvQueryWords.length} caption words)`, cv.reference.openTextToImage],
      [`${label}: Pascal training photos, tag precision@5`, cv.pascal.tagPrecisionAt5],
      [`${label}: Pascal training photos, text→image P@10`, cv.pascal.openTextToImage],
    );
  }
  for (const when of ['before', 'after', 'afterFeatureNeighbours'] as const) {
    const f = r.pascalFloors[when];
    if (!f) continue;
    const label = `Pascal held out, ${
      when === 'before' ? 'Pascal captions, today' : `Pascal + reference captions, served${when === 'after' ? '' : ', neighbours by the plain features'}`
    }`;
    rows.push(
      [`${label}: class text→image P@10 (vector side)`, f.classTextToImage],
      [`${label}: open vocabulary P@10`, f.openVocabulary],
      [`${label}: tags top-5`, f.tagsTop5],
      [`${label}: tag precision@5`, f.tagPrecisionAt5],
    );
  }
  const parts = {
    referencePoolOnly: 'only the reference set added to the pool',
    parametersOnly: 'only the served k and T',
    modelOnly: 'only the model fitted on both',
    referencePoolAndParameters: 'the reference pool and the served k and T, the model fitted on Pascal',
  } as const;
  for (const [part, label] of Object.entries(parts) as [keyof typeof parts, string][]) {
    rows.push([`Pascal held out, ${label}: class text→image P@10 (vector side)`, r.pascalFloors.parts[part].classTextToImage]);
  }
  const cocoLabels = {
    before: 'Pascal pool, today',
    after: 'Pascal + reference pool, served, model fitted on both',
    afterPascalModel: 'Pascal + reference pool, served, model fitted on Pascal alone',
    afterPlainTags: 'Pascal + reference pool, served, tags by the plain share and the tag\'s name',
    afterFeatureNeighbours: 'Pascal + reference pool, served, neighbours by the plain features',
  } as const;
  for (const when of ['before', 'afterPlainTags', 'after', 'afterPascalModel', 'afterFeatureNeighbours'] as const) {
    const s = r.coco?.[when];
    if (!s) continue;
    const label = `COCO no COCO captions, ${cocoLabels[when]}`;
    rows.push(
      [`${label}: text→image P@10`, s.textToImage!.mean],
      [`${label}: tag precision@5`, s.tagPrecisionAt5],
      [`${label}: tag recall@10`, s.tagRecallAt10],
    );
  }
  return rows;
}

export function referenceTables({ results: r }: ReferenceEvaluation): ReportTable[] {
  const cv = r.crossValidation;
  const other = r.featureNeighbours ? [...r.featureNeighbours.temperatures, ...r.featureNeighbours.spaces] : [];
  const both = [cv.before, cv.after, cv.afterPascalModel, ...(cv.afterFeatureNeighbours ? [cv.afterFeatureNeighbours] : []), ...other];
  return [
    {
      title: 'Reference set: cross-validation on folds of the training data, before and after',
      note:
        `5 folds of Pascal's training split and of the ${r.referencePhotos} reference photos; a fold's photos are uncaptioned queries against ` +
        `every other captioned photo, the projection and the word model refitted without the fold. Text: ${r.cvQueryWords.length} caption words.`,
      header: CV_HEADER,
      rows: [...both, ...(r.chosen?.trials ?? [])].map(cvRow),
    },
  ];
}

/** 12 COCO photos' first tags: before (Pascal's captions, today's parameters) → after (with the reference set, served). */
export async function referenceTagGrid(evaluation: ReferenceEvaluation): Promise<SampleGrid[]> {
  const { coco, cocoPhotos, scorer } = evaluation;
  if (!coco || !cocoPhotos) return [];
  const step = Math.max(1, Math.floor(coco.sample.length / GRID_TAG_PHOTOS));
  const grids: SampleGrid[] = [];
  for (let i = 0; i < coco.sample.length && grids.length < GRID_TAG_PHOTOS; i += step) {
    const captionWords = captionWordSet(coco.sample[i]!.captions);
    const tags = (when: 'before' | 'after') =>
      labelled(
        scorer.tags(cocoPhotos[when].photos[i]!, cocoPhotos[when].near[i]!, when === 'before' ? TRANSFER_BEFORE : TRANSFER).slice(0, TAGS_SHOWN),
        captionWords,
        cocoPhotos[when].near[i]!,
      );
    grids.push({
      title: `${coco.sample[i]!.id}: before → after`,
      words: ['before:', ...tags('before'), 'after:', ...tags('after')],
      results: [await cocoThumbnail(coco.sample[i]!, coco.sample[i]!.captions.join(' / '))],
    });
  }
  return grids;
}
