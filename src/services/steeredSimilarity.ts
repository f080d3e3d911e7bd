// "Like this photo, but…": similarImages steered by a text. The photo's
// nearest images are ranked again by the text (imagesForText's HYBRID ranking
// among them alone), and the two rankings fused with a weight.
import { badInput } from '../errors.js';
import type { TextSearchRepository } from '../repositories/textSearchRepository.js';
import type { WordRepository } from '../repositories/wordRepository.js';
import { checkFirst, noKnownWords } from './arguments.js';
import type { ImageMatch, ImageService, SimilarImagesArgs } from './imageService.js';
import { checkTextQuery, FUSION_DEPTH, RRF_K, textSearchOptions, type ImagesForText } from './imageTextService.js';

export interface SteeredSimilarArgs extends SimilarImagesArgs {
  text: string;
  textWeight?: number | null;
}

/** Chosen on Pascal (`npm run eval`, docs/models.md "Like this photo, but"): the neighbours already keep the likeness. */
export const DEFAULT_TEXT_WEIGHT = 0.75;

/** How many of the photo's nearest images the text ranks: as deep as each of HYBRID's fused rankings. */
export const STEERED_DEPTH = FUSION_DEPTH;

export function checkTextWeight(textWeight: number | null | undefined): number {
  if (textWeight === null || textWeight === undefined) return DEFAULT_TEXT_WEIGHT;
  if (!Number.isFinite(textWeight) || textWeight < 0 || textWeight > 1) {
    throw badInput(`'textWeight' is between 0 (the photo alone) and 1 (the text alone), got ${textWeight}`);
  }
  return textWeight;
}

/**
 * Weighted reciprocal rank fusion of the image ranking (ids, nearest first)
 * and the text's ranking of some of them: (1 - w) / (k + image rank) +
 * w / (k + text rank), a photo the text does not rank scoring only its first
 * part. Ties keep the image order. Returns the ids, best first.
 */
export function fuseSteered(byImage: readonly string[], byText: readonly string[], textWeight: number, k = RRF_K): string[] {
  const textRank = new Map(byText.map((id, i) => [id, i + 1]));
  const score = (id: string, imageRank: number) => {
    const rank = textRank.get(id);
    return (1 - textWeight) / (k + imageRank) + (rank === undefined ? 0 : textWeight / (k + rank));
  };
  return byImage
    .map((id, i) => ({ id, i, score: score(id, i + 1) }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((entry) => entry.id);
}

export class SteeredSimilarity {
  constructor(
    private readonly images: ImageService,
    private readonly textSearch: TextSearchRepository,
    private readonly words: WordRepository,
    private readonly imageEfSearch: number,
  ) {}

  /** The photo's STEERED_DEPTH nearest images, ranked again with the text; `distance` stays the image distance. */
  async similarImages(args: SteeredSimilarArgs): Promise<ImagesForText> {
    const first = checkFirst(args.first, 10);
    const textWeight = checkTextWeight(args.textWeight);
    // Its ranking is the fusion of the photo's 100 nearest, not one walk a cursor or a cut could follow.
    if (args.after || (args.cut && args.cut !== 'NONE')) {
      throw badInput(`'after' and 'cut' page and cut similarImages without 'text': with 'text', ask for up to ${STEERED_DEPTH} at once`);
    }
    const query = checkTextQuery({ text: args.text, first: STEERED_DEPTH, mode: 'HYBRID' });
    const { text: _, textWeight: __, ...imageArgs } = args;
    const near = await this.images.similarImages({ ...imageArgs, first: STEERED_DEPTH });
    const ids = near.map((match) => match.image.id);
    const rows = ids.length > 0 ? await this.textSearch.searchAmong(ids, query.tokens, query.text, textSearchOptions(query, this.imageEfSearch)) : [];
    const known = rows[0]?.knownWords ?? [...(await this.words.findVectors(query.tokens)).keys()];
    // A text no word of which has a vector, and no caption among the neighbours matches: nothing steers.
    if (rows.length === 0 && known.length === 0) throw noKnownWords(query.tokens);
    const byId = new Map<string, ImageMatch>(near.map((match) => [match.image.id, match]));
    const captionOf = new Map(rows.map((row) => [row.id, row.matchedCaption]));
    const order = fuseSteered(ids, rows.map((row) => row.id), textWeight).slice(0, first);
    return {
      // The matches are this call's own: each gets its caption in place (a copy would lose their cursor and scores getters).
      matches: order.map((id) => Object.assign(byId.get(id)!, { matchedCaption: captionOf.get(id) ?? null })),
      unknownWords: query.tokens.filter((token) => !known.includes(token)),
    };
  }
}
