// The caption-judged part of `npm run eval`: the COCO sample (photos of other
// kinds, evaluation only: embedded here, never stored or trained on) and the
// held-out Pascal photos, scored against their human captions. Photos go
// through the API's code: bytes → features → the stored word model, and tags
// come from the tag vocabulary folded as the API folds them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { App } from '../app.js';
import { listCocoSample, type CocoSamplePhoto } from '../dataset/cocoSample.js';
import { loadWordNet } from '../dataset/wordnet.js';
import { candidatesFor, lemmaKey } from '../embedding/index.js';
import {
  average,
  captionWordSet,
  frequentCaptionNouns,
  namesClass,
  tagPrecision,
  tagRecall,
  textToImagePrecision,
  type CaptionedImage,
  type QueryScore,
} from '../eval/captionMetrics.js';
import { COCO_QUERY_WORDS } from '../eval/cocoQueries.js';
import { cachedFeatures } from '../eval/featureCache.js';
import type { ReportTable, SampleGrid, Thumbnail } from '../eval/evalReport.js';
import { mentions } from '../eval/wordForms.js';
import { dot, l2Normalize } from '../lib/vectors.js';
import { fuseTags } from '../services/imageTextService.js';

/** Words whose top 10 COCO photos the report shows, and how many photos' tags it shows. */
const GRID_WORDS = ['dog', 'kitchen', 'pizza', 'street', 'snow', 'beach'];
const GRID_TAG_PHOTOS = 12;
const TAGS_PER_PHOTO = 10;
const EMBED_BATCH = 16;

export interface CaptionScores {
  photos: number;
  textToImage: { perWord: Record<string, QueryScore>; mean: number; chance: number } | null;
  tagPrecisionAt5: number;
  tagRecallAt10: number;
}

export interface ScoredPhoto extends CaptionedImage {
  id: string;
  captions: readonly string[];
  tags: string[];
}

export function summarise(photos: readonly ScoredPhoto[], queries: Record<string, QueryScore> | null): CaptionScores {
  const wordnet = loadWordNet();
  // WordNet lists base forms: "dogs" is a noun through "dog".
  const isNoun = (word: string) => (wordnet.mainPartOfSpeech(word) ?? wordnet.mainPartOfSpeech(lemmaKey(word))) === 'noun';
  const tags = photos.map((photo) => photo.tags.map((tag) => [tag]));
  const scores = queries ? Object.values(queries) : [];
  return {
    photos: photos.length,
    textToImage: queries
      ? { perWord: queries, mean: average(scores.map((s) => s.precision)), chance: average(scores.map((s) => s.chance)) }
      : null,
    tagPrecisionAt5: tagPrecision(tags, photos.map((photo) => photo.captionWords)),
    tagRecallAt10: tagRecall(tags, photos.map((photo) => frequentCaptionNouns(photo.captions, isNoun))),
  };
}

/** The model's own tags of a word-space vector (no captioned neighbour), scored and folded by the served fuseTags. */
async function tagsOf(app: App, vector: Float32Array): Promise<string[]> {
  const candidates = await app.repositories.tagVocabulary.nearestTags(
    vector,
    candidatesFor(TAGS_PER_PHOTO),
    app.config.words.efSearch,
  );
  return fuseTags(candidates, [], TAGS_PER_PHOTO).map((tag) => tag.text);
}

/**
 * Each photo's image features and word-space vector, as the API computes them
 * for new bytes. The features of the whole photo list are kept in the
 * evaluation's feature cache (DATA_DIR/eval): a later run reads them.
 */
export async function embedCocoPhotos(
  app: App,
  name: string,
  photos: readonly { id: string; file: string }[],
): Promise<{ features: Float32Array[]; vectors: Float32Array[] }> {
  const features = (await cachedFeatures(app.embedder, name, photos, path.join(app.config.dataDir, 'eval'))).map((row) => row.features);
  const vectors: Float32Array[] = [];
  for (let start = 0; start < features.length; start += EMBED_BATCH) {
    vectors.push(...(await app.embedder.projectManyToWords(features.slice(start, start + EMBED_BATCH))));
  }
  return { features, vectors };
}

export async function scoreCocoSample(app: App, assetsDir: string) {
  const sample = listCocoSample(assetsDir);
  if (sample.length === 0) return null;
  const { features, vectors } = await embedCocoPhotos(app, 'coco', sample);
  const photos: ScoredPhoto[] = [];
  for (const [i, photo] of sample.entries()) {
    photos.push({
      id: photo.id,
      captions: photo.captions,
      captionWords: captionWordSet(photo.captions),
      vector: vectors[i]!,
      tags: await tagsOf(app, vectors[i]!),
    });
  }
  const wordVectors = await app.repositories.words.findVectors(COCO_QUERY_WORDS.map(([word]) => word));
  const queries = COCO_QUERY_WORDS.flatMap(([word, forms]) => {
    const vector = wordVectors.get(word);
    return vector ? [{ word, forms, vector: l2Normalize(vector) }] : [];
  });
  const scores = summarise(photos, textToImagePrecision(photos, queries));
  return { scores, photos, sample, features, queries };
}

/** Held-out Pascal photos: the caption metrics, and tags top-1 / top-5 as the API serves them (folded). */
export async function scoreHeldOutPascal(
  app: App,
  heldOut: readonly { id: string; category: string; captions: string[]; vector: Float32Array }[],
) {
  const tags = await app.services.imageText.tagsForImages(
    heldOut.map((image) => image.id),
    TAGS_PER_PHOTO,
  );
  const photos = heldOut.map((image, i) => ({
    id: image.id,
    captions: image.captions,
    captionWords: captionWordSet(image.captions),
    vector: image.vector,
    tags: tags[i]!.map((tag) => tag.text),
  }));
  const served = heldOut.map((image, i) => tags[i]!.slice(0, 5).map((tag) => namesClass(tag, image.category)));
  return {
    ...summarise(photos, null),
    servedTagsTop1: average(served.map((hits) => (hits[0] ? 1 : 0))),
    servedTagsTop5: average(served.map((hits) => (hits.some(Boolean) ? 1 : 0))),
  };
}

export async function cocoThumbnail(photo: CocoSamplePhoto, caption: string, mark?: 'right' | 'wrong'): Promise<Thumbnail> {
  const jpeg = await sharp(await readFile(photo.file)).resize(120, 90, { fit: 'cover' }).jpeg({ quality: 70 }).toBuffer();
  return { id: photo.id, category: null, caption, mark, src: `data:image/jpeg;base64,${jpeg.toString('base64')}` };
}

/** The report's COCO part: per-word tables, 6 words' top 10 photos marked right or wrong, 12 photos' tags beside their captions. */
export async function cocoReport(
  app: App,
  coco: NonNullable<Awaited<ReturnType<typeof scoreCocoSample>>>,
): Promise<{ tables: ReportTable[]; grids: { heading: string; grids: SampleGrid[] } [] }> {
  const { photos, sample, scores } = coco;
  const wordVectors = await app.repositories.words.findVectors(GRID_WORDS);
  const wordGrids: SampleGrid[] = [];
  for (const word of GRID_WORDS) {
    const query = wordVectors.get(word);
    const forms = COCO_QUERY_WORDS.find(([w]) => w === word)?.[1] ?? [word];
    if (!query) continue;
    const unit = l2Normalize(query);
    const ranked = photos
      .map((photo, index) => ({ index, score: dot(photo.vector, unit) }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, 10);
    const results = await Promise.all(
      ranked.map(({ index }) => {
        const right = mentions(photos[index]!.captionWords, forms);
        return cocoThumbnail(sample[index]!, `${right ? '✓' : '✗'} ${sample[index]!.captions[0]}`, right ? 'right' : 'wrong');
      }),
    );
    const score = scores.textToImage?.perWord[word];
    wordGrids.push({ title: `"${word}": P@10 ${score?.precision.toFixed(1)} (chance ${score?.chance.toFixed(3)})`, results });
  }
  const step = Math.max(1, Math.floor(photos.length / GRID_TAG_PHOTOS));
  const tagGrids: SampleGrid[] = [];
  for (let i = 0; i < photos.length && tagGrids.length < GRID_TAG_PHOTOS; i += step) {
    const photo = photos[i]!;
    tagGrids.push({
      title: photo.id,
      words: photo.tags.map((tag) => (mentions(photo.captionWords, [tag]) ? `${tag} ✓` : tag)),
      results: [await cocoThumbnail(sample[i]!, photo.captions.join(' / '))],
    });
  }
  const perWord = Object.entries(scores.textToImage?.perWord ?? {});
  return {
    tables: [
      {
        title: 'COCO sample: text → image P@10 per query word',
        note: 'Relevant = the word, in some form, is in the photo\'s captions; chance = the share of relevant photos.',
        header: ['word', 'P@10', 'chance'],
        rows: perWord.map(([word, s]) => [word, s.precision, s.chance]),
      },
    ],
    grids: [
      { heading: 'COCO sample: text → images (✓ captions use the word)', grids: wordGrids },
      { heading: 'COCO sample: tags (✓ captions use the tag) beside the captions', grids: tagGrids },
    ],
  };
}
