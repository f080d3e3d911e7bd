// Every GraphQL document the page sends, with the shapes it reads back.
import { graphql, graphqlWithExtensions } from './api.js';

export interface ImageSummary {
  id: string;
  url: string;
  category: string | null;
  captions: string[];
}
export interface ImageMatch {
  image: ImageSummary;
  distance: number;
  /** imagesForText: the caption that best matches the words searched for. */
  matchedCaption?: string | null;
}
/** A captioned photo that voted for a tag: its part of the vote and its caption that used the word. */
export interface Evidence {
  image: { id: string; url: string };
  weight: number;
  caption: string;
}
export interface WordMatch {
  word: { text: string };
  distance: number;
  /** Tags: where the word came from. */
  source?: 'CAPTION' | 'SIMILAR_PHOTOS' | 'MODEL';
  /** Tags: the similar photos that voted for it. */
  evidence?: Evidence[];
}
export interface ImageDetail extends ImageSummary {
  width: number;
  height: number;
  tags: WordMatch[];
  similar: ImageMatch[];
}
export interface ImagesPage {
  totalCount: number;
  nodes: ImageSummary[];
  endCursor: string | null;
  hasNextPage: boolean;
}

const SUMMARY = 'id url category captions';
const MATCH = `distance image { ${SUMMARY} }`;

export const RESULTS = 24;
export const PAGE_SIZE = 24;
const WORDS = 12;
const TAGS = 8;
const TAG = 'distance source word { text } evidence { weight caption image { id url } }';

export async function categories(): Promise<string[]> {
  return (await graphql<{ categories: string[] }>('{ categories }')).categories;
}

/** A match of a ranked list that pages (`after` its `cursor`) and says whether the relevance cut keeps it. */
export interface PagedMatch extends ImageMatch {
  cursor: string;
  scores: { keptByCut: boolean };
}

/**
 * A page of matches after `after` (null: the first), each saying whether
 * `cut: AUTO` keeps it, and the words of `text` the server did not know (and
 * ignored). One search serves both the cut list and "N more, less similar".
 */
export async function imagesForText(
  text: string,
  category: string | null,
  after: string | null = null,
): Promise<{ matches: PagedMatch[]; unknownWords: string[] }> {
  const query = `query ($text: String!, $category: String, $after: String) {
    imagesForText(text: $text, first: ${RESULTS}, category: $category, after: $after, cut: NONE) {
      ${MATCH} matchedCaption cursor scores { keptByCut } } }`;
  const { data, extensions } = await graphqlWithExtensions<{ imagesForText: PagedMatch[] }>(query, { text, category, after });
  const unknown = extensions.unknownWords;
  return { matches: data.imagesForText, unknownWords: Array.isArray(unknown) ? unknown.map(String) : [] };
}

export async function similarWords(text: string): Promise<WordMatch[]> {
  const query = `query ($text: String!) { similarWords(word: $text, first: ${WORDS}) { distance word { text } } }`;
  return (await graphql<{ similarWords: WordMatch[] }>(query, { text })).similarWords;
}

export async function imageDetail(id: string): Promise<ImageDetail | null> {
  const query = `query ($id: ID!) { image(id: $id) { ${SUMMARY} width height
    tags(first: ${TAGS}) { ${TAG} }
    similar(first: ${RESULTS}) { ${MATCH} } } }`;
  return (await graphql<{ image: ImageDetail | null }>(query, { id })).image;
}

/** Similar images and tags for a photo that is not stored. */
export async function describePhoto(base64: string): Promise<{ similar: ImageMatch[]; tags: WordMatch[] }> {
  const query = `query ($image: ImageInput!) {
    similar: similarImages(image: $image, first: ${RESULTS}) { ${MATCH} }
    tags: tagsForImage(image: $image, first: ${TAGS}) { ${TAG} } }`;
  return graphql(query, { image: { base64 } });
}

export async function addImage(base64: string, category: string | null, captions: string[]): Promise<ImageSummary> {
  const query = `mutation ($image: ImageInput!, $category: String, $captions: [String!]) {
    addImage(image: $image, category: $category, captions: $captions) { ${SUMMARY} } }`;
  return (await graphql<{ addImage: ImageSummary }>(query, { image: { base64 }, category, captions })).addImage;
}

export async function imagesPage(category: string | null, after: string | null, withNodes = true): Promise<ImagesPage> {
  const nodes = withNodes ? `edges { node { ${SUMMARY} } }` : '';
  const query = `query ($category: String, $after: String) {
    images(first: ${PAGE_SIZE}, after: $after, category: $category) {
      totalCount ${nodes} pageInfo { hasNextPage endCursor } } }`;
  type Connection = {
    totalCount: number;
    edges?: { node: ImageSummary }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
  const { images } = await graphql<{ images: Connection }>(query, { category, after });
  return {
    totalCount: images.totalCount,
    nodes: (images.edges ?? []).map((edge) => edge.node),
    endCursor: images.pageInfo.endCursor,
    hasNextPage: images.pageInfo.hasNextPage,
  };
}

export async function deleteImage(id: string): Promise<void> {
  await graphql<{ deleteImage: boolean }>('mutation ($id: ID!) { deleteImage(id: $id) }', { id });
}

/** Sets both fields: an empty category or no captions clear them. */
export async function updateImage(id: string, category: string | null, captions: string[]): Promise<ImageSummary> {
  const query = `mutation ($id: ID!, $category: String, $captions: [String!]) {
    updateImage(id: $id, category: $category, captions: $captions) { ${SUMMARY} } }`;
  return (await graphql<{ updateImage: ImageSummary }>(query, { id, category, captions })).updateImage;
}

export interface DuplicateCopy {
  image: ImageSummary;
  kind: 'EXACT' | 'NEAR';
  distance: number;
  mirrored: boolean;
}
export interface DuplicateGroup {
  cursor: string;
  original: ImageSummary;
  copies: DuplicateCopy[];
}

export const DUPLICATE_GROUPS = 12;

/** A page of duplicate groups after `after` (the last group's cursor of the page before). */
export async function duplicates(after: string | null): Promise<DuplicateGroup[]> {
  const query = `query ($after: String) { duplicates(first: ${DUPLICATE_GROUPS}, after: $after) {
    cursor original { ${SUMMARY} } copies { kind distance mirrored image { ${SUMMARY} } } } }`;
  return (await graphql<{ duplicates: DuplicateGroup[] }>(query, { after })).duplicates;
}
