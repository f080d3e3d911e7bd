// What the image ↔ text questions mean: tags for an image (stored or new
// bytes), images for a text, validation, unknown words, folding words into tags.
import {
  applyImageProjection,
  candidatesFor,
  dropStopWords,
  foldTags,
  type FoldedTag,
  heaviestVoters,
  scoreTags,
  TEXT_VOTE_SHIFT,
  textVoteKeys,
  textVoters,
  tokenize,
  voteKey,
  TRANSFER,
  type Embedder,
  type TagCandidate,
} from '../embedding/index.js';
import { badInput, ClientError, noImage, quoted } from '../errors.js';
import { groupBy } from '../lib/groupBy.js';
import { sha256 } from '../lib/hash.js';
import { imageRecordOf } from '../repositories/imageColumns.js';
import type { ImageRepository } from '../repositories/imageRepository.js';
import type { TagRepository, VotedWordRow } from '../repositories/tagRepository.js';
import type { TextMatchRow, TextSearchOptions, TextSearchRepository } from '../repositories/textSearchRepository.js';
import type { WordRepository } from '../repositories/wordRepository.js';
import {
  categorySize,
  checkFirst,
  checkMaxDistance,
  checkText,
  cleanCategory,
  decodeBase64Image,
  queriedImage,
  noKnownWords,
  type ImageInput,
} from './arguments.js';
import type { ImageProjectionCache } from './imageProjectionCache.js';
import { excludeOption, splitExcluded } from './excludedWords.js';
import { photoScope, type ImageMatch } from './imageService.js';
import { decodeMatchCursor, encodeMatchCursor, type TextCursor } from './matchCursors.js';
import { cutScore, textMatchScores, type TextSearchMode } from './matchScores.js';
import { admitImage, modelCall, type ModelRefusals } from './modelErrors.js';
import { checkCut, CUT_RATIO, keptBeforeDrop, type CutMode } from './relevanceCut.js';
import { readPage } from './textPages.js';
import { votesOf, type Vote } from './voteEvidence.js';
import type { Warmup } from './warmup.js';

/** A tag: its word, the cosine distance of its nearest form, the forms folded into it, where it came from, and who voted. */
export interface TagMatch extends Omit<FoldedTag, 'voters'> {
  /** The neighbours whose captions voted for it, heaviest first, at most EVIDENCE_NEIGHBOURS (Tag.evidence). */
  readonly votes: Vote[];
}

export interface TagsForImageArgs {
  id?: string | null;
  image?: ImageInput | null;
  first?: number | null;
}

export type { TextSearchMode } from './matchScores.js';

export interface ImagesForTextArgs {
  text: string;
  first?: number | null;
  after?: string | null;
  category?: string | null;
  maxDistance?: number | null;
  mode?: TextSearchMode | null;
  cut?: CutMode | null;
  exclude?: readonly string[] | null;
  includeReference?: boolean | null;
}

/**
 * The reciprocal rank fusion constant of HYBRID, measured on the training
 * split (docs/models.md, "Hybrid search over captions"): a row scores
 * Σ 1 / (RRF_K + rank).
 */
export const RRF_K = 60;
/** How deep each fused ranking is read: HYBRID's two, and the vector side's cosine and vote. */
export const FUSION_DEPTH = 100;

export interface ImagesForText {
  matches: ImageMatch[];
  /** Words of the text without a word vector: ignored, and reported to the client. */
  unknownWords: string[];
}

export interface ImageTextSettings {
  wordEfSearch: number;
  imageEfSearch: number;
}

/** A text search's arguments checked, the text's words without stop words, and the words excluded ("-word", `exclude`). */
export interface CheckedTextQuery {
  first: number;
  maxDistance: number | undefined;
  mode: TextSearchMode;
  text: string;
  tokens: string[];
  excluded: string[];
}

export function checkTextQuery(args: Pick<ImagesForTextArgs, 'text' | 'first' | 'maxDistance' | 'mode' | 'exclude'>): CheckedTextQuery {
  const first = checkFirst(args.first, 10);
  const maxDistance = checkMaxDistance(args.maxDistance);
  const mode = args.mode ?? 'HYBRID';
  const { text, excluded } = splitExcluded(checkText(args.text, 'text'), args.exclude ?? []);
  return { first, maxDistance, mode, text, tokens: dropStopWords(tokenize(text)), excluded };
}

/** How the search statement ranks a query (the evaluation's searches too: `rrfK` is theirs to vary). */
export function textSearchOptions(query: CheckedTextQuery, efSearch: number, rrfK = RRF_K): TextSearchOptions {
  const { mode, first } = query;
  return {
    byVector: mode !== 'KEYWORD',
    voteKeys: query.tokens.map(voteKey),
    voteWeight: TRANSFER.textVoteWeight,
    voteShift: TEXT_VOTE_SHIFT,
    byCaption: mode !== 'VECTOR',
    rrfK,
    // Captions alone need only `first`; the vector side fuses the cosine with the
    // neighbours' vote, and HYBRID fuses both rankings: each looks deeper.
    candidates: mode === 'KEYWORD' ? first : Math.max(first, FUSION_DEPTH),
    first,
    maxDistance: query.maxDistance,
    efSearch,
    exclude: query.excluded.length > 0 ? excludeOption(query.excluded) : undefined,
  };
}

/**
 * A row of the fused list as a match: no vector (no known word) reads as
 * distance 1, no similarity known. Its cursor, its scores and the vote keys of
 * its known words (which ImageMatch.evidence explains; none in KEYWORD: no
 * vote was asked) are built when asked for.
 */
function textMatch(row: TextMatchRow, cursor: TextCursor, cut: number, keptByCut: boolean, mode: TextSearchMode): ImageMatch {
  return {
    image: imageRecordOf(row),
    distance: row.distance ?? 1,
    matchedCaption: row.matchedCaption,
    get cursor() {
      return encodeMatchCursor(cursor);
    },
    get scores() {
      return textMatchScores(row, cut, keptByCut);
    },
    get voteKeys() {
      return mode === 'KEYWORD' ? [] : textVoteKeys(row.knownWords);
    },
  };
}

/** The model's candidates and the caption-voted words, scored together and folded into `first` tags (the evaluation's too). */
export function fuseTags(
  model: readonly TagCandidate[],
  voted: readonly VotedWordRow[],
  first: number,
): TagMatch[] {
  const scored = scoreTags({
    modelCandidates: model,
    voted,
    neighbourDistances: voted[0]?.neighbourDistances ?? [],
  });
  const neighbourIds = voted[0]?.neighbourIds ?? [];
  // Who voted is sorted out only when Tag.evidence asks.
  return foldTags(scored, first).map(({ voters, ...tag }) => ({
    ...tag,
    get votes() {
      return votesOf(heaviestVoters(voters), neighbourIds);
    },
  }));
}

export class ImageTextService {
  constructor(
    private readonly textSearch: TextSearchRepository,
    private readonly tags: TagRepository,
    private readonly images: ImageRepository,
    private readonly words: WordRepository,
    private readonly embedder: Embedder,
    private readonly settings: ImageTextSettings,
    private readonly warmup: Warmup,
    private readonly projection: ImageProjectionCache,
    /** Where OVERLOADED refusals are counted (the server's metrics; tools count none). */
    private readonly refusals?: ModelRefusals,
  ) {}

  async tagsForImage(args: TagsForImageArgs): Promise<TagMatch[]> {
    const first = checkFirst(args.first, 5);
    const queried = queriedImage(args);
    this.warmup.check('tagsForImage');
    if ('id' in queried) return this.storedImageTags(queried.id, first);
    admitImage(this.embedder, this.refusals);
    const bytes = decodeBase64Image(queried.image.base64);
    const { features } = await modelCall(this.embedder.embedImage(bytes), this.refusals);
    const wordVector = await modelCall(this.embedder.projectToWords(features), this.refusals);
    const vector = applyImageProjection(await this.projection.current(), features);
    // The same bytes stored already are the photo itself: its captions are not its neighbours'.
    const { model, voted } = await this.tags.tagEvidence(
      { vector, wordVector, contentHash: sha256(bytes) },
      candidatesFor(first),
      TRANSFER.neighbours,
      this.tagEfSearch(),
    );
    return fuseTags(model, voted, first);
  }

  /** The query Image.tags uses: the stored vector is read inside it (one round trip); no tags are explained only then. */
  private async storedImageTags(id: string, first: number): Promise<TagMatch[]> {
    const [tags] = await this.tagsForImages([id], first);
    if (tags!.length > 0 || (await this.tags.wordEmbeddings([id]))[0]) return tags!;
    if ((await this.images.findByIds([id]))[0]) {
      throw new ClientError('SERVICE_UNAVAILABLE', `Image ${quoted(id)} has no word-space vector yet: the model phase of seeding is still running`);
    }
    throw noImage(id);
  }

  /** One statement searches both the tag index and the captioned photos' index: the larger setting serves both. */
  private tagEfSearch(): number {
    return Math.max(this.settings.wordEfSearch, this.settings.imageEfSearch);
  }

  /** `first` for tags: 5 when not given, refused outside the allowed range. */
  checkTagsFirst(first: number | null | undefined): number {
    return checkFirst(first, 5);
  }

  /**
   * Tags of several stored images (Image.tags through a DataLoader): the
   * model's words and the captions' words, one query each for all the
   * images; [] where not projected yet.
   */
  async tagsForImages(ids: readonly string[], first: number): Promise<TagMatch[][]> {
    const { model: rows, voted } = await this.tags.tagEvidence({ ids }, candidatesFor(first), TRANSFER.neighbours, this.tagEfSearch());
    const modelOf = groupBy(rows, (row) => row.imageId);
    const votedOf = groupBy(voted, (row) => row.imageId);
    return ids.map((id) => {
      const model = modelOf.get(id) ?? [];
      return model.length > 0 ? fuseTags(model, votedOf.get(id) ?? [], first) : [];
    });
  }

  /**
   * Which neighbours voted for each photo's text-search vote for `keys`, and
   * each one's part (ImageMatch.evidence): from the neighbours the photo's
   * stored transfer keeps, by the weighting that computed its votes. One
   * read for all the photos asked.
   */
  async textVotes(asked: readonly { imageId: string; keys: readonly string[] }[]): Promise<Vote[][]> {
    const ids = [...new Set(asked.map((a) => a.imageId))];
    const stored = await this.tags.storedNeighbours(ids);
    const neighboursOf = new Map(ids.map((id, i) => [id, stored[i]!]));
    return asked.map(({ imageId, keys }) => {
      const neighbours = neighboursOf.get(imageId) ?? [];
      return votesOf(textVoters(neighbours, keys, TRANSFER), neighbours.map((n) => n.id));
    });
  }

  /**
   * Images for a text by word-space vector, by caption, or both fused (see
   * TextSearchMode in the schema), a page at a time. A word without a vector
   * still searches captions; only a text that matches nothing, none of whose
   * words has a vector, is refused (VECTOR needs a known word).
   */
  async imagesForText(args: ImagesForTextArgs): Promise<ImagesForText> {
    const query = checkTextQuery(args);
    const cut = checkCut(args.cut);
    const category = cleanCategory(args.category);
    const scope = photoScope(args.includeReference);
    const fingerprint = sha256(
      JSON.stringify([query.mode, query.text, query.excluded, category ?? null, query.maxDistance ?? null, scope]),
    ).slice(0, 16);
    const start: TextCursor = args.after
      ? decodeMatchCursor(args.after, 'text', 'imagesForText')
      : { kind: 'text', query: fingerprint, tier: 0, offset: 0 };
    if (start.query !== fingerprint) {
      throw badInput(`'after' is a cursor of another imagesForText query: page with the same text, mode, category, maxDistance, exclude and includeReference`);
    }
    this.warmup.check('imagesForText');
    const { tokens, text } = query;
    const base = { ...textSearchOptions(query, this.settings.imageEfSearch), category, scope };
    // The words' vectors are looked up inside the search; only an empty answer asks why.
    const paged = await readPage((options) => this.textSearch.searchImages(tokens, text, options), base, FUSION_DEPTH, start, query.first);
    // A page past the end is only the end: the first page has said what was wrong.
    const known = paged[0]?.row.knownWords ?? (await this.knownWords(tokens, category, args.after ? undefined : query.mode));
    const scores = paged.map(({ row }) => cutScore(row, query.mode));
    const kept = keptBeforeDrop(scores, CUT_RATIO[query.mode]);
    const matches = paged
      .slice(0, cut === 'AUTO' ? kept : paged.length)
      .map(({ row, cursor }, i) => textMatch(row, cursor, scores[i]!, i < kept, query.mode));
    return { matches, unknownWords: tokens.filter((token) => !known.includes(token)) };
  }

  /**
   * Why a search found nothing: no known word (nothing matched by caption
   * either) or an empty category (both BAD_USER_INPUT), or nothing to find.
   * Without `mode` (a later page), nothing is refused: the known words only.
   */
  private async knownWords(tokens: readonly string[], category: string | undefined, mode?: TextSearchMode): Promise<string[]> {
    const known = [...(await this.words.findVectors(tokens)).keys()];
    if (!mode) return known;
    if (known.length === 0) throw noKnownWords([...tokens], mode !== 'VECTOR');
    if (category) await categorySize(this.images, category);
    return known;
  }
}
