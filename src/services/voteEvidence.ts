// Which captioned photos voted for a tag or a text match (Tag.evidence,
// ImageMatch.evidence): the neighbours whose captions gave the vote, their
// part of it (the served weighting: src/embedding/transfer.ts), and the
// caption of each that used the word. Resolved only when a client asks.
import { contentWords, voteKey, type TagVoter } from '../embedding/index.js';
import type { ImageRecord } from '../repositories/imageColumns.js';

/** A photo that voted, and its part of the vote. */
export interface Vote {
  imageId: string;
  weight: number;
}

/** A vote as the API shows it: the photo, its weight, its caption that used the word. */
export interface Evidence {
  image: ImageRecord;
  weight: number;
  caption: string;
}

/** Voters (by their place among a photo's neighbours) as the photos they are. */
export const votesOf = (voters: readonly TagVoter[], neighbourIds: readonly string[]): Vote[] =>
  voters.flatMap((voter) => {
    const imageId = neighbourIds[voter.place];
    return imageId === undefined ? [] : [{ imageId, weight: voter.weight }];
  });

/**
 * Each vote with its photo's caption that uses the most of `wordsUsed`
 * (first in the photo's order on a tie); a photo gone since, or none of whose
 * captions uses a word any more, is left out.
 */
function withCaptions(
  votes: readonly Vote[],
  images: readonly (ImageRecord | Error | null)[],
  wordsUsed: (caption: string) => number,
): Evidence[] {
  return votes.flatMap((vote, i) => {
    const image = images[i];
    if (!image || image instanceof Error) return [];
    let best: { caption: string; used: number } | undefined;
    for (const caption of image.captions) {
      const used = wordsUsed(caption);
      if (used > 0 && (!best || used > best.used)) best = { caption, used };
    }
    return best ? [{ image, weight: vote.weight, caption: best.caption }] : [];
  });
}

/** A tag's evidence: its voters' captions that use the tag or one of its words (as the vote counted them). */
export function tagEvidence(
  tag: { text: string; synonyms: readonly string[] },
  votes: readonly Vote[],
  images: readonly (ImageRecord | Error | null)[],
): Evidence[] {
  const words = new Set([tag.text, ...tag.synonyms]);
  return withCaptions(votes, images, (caption) => (contentWords(caption).some((word) => words.has(word)) ? 1 : 0));
}

/** A text match's evidence: its voters' captions that use the most of the text's vote keys. */
export function textEvidence(
  keys: readonly string[],
  votes: readonly Vote[],
  images: readonly (ImageRecord | Error | null)[],
): Evidence[] {
  const wanted = new Set(keys);
  return withCaptions(votes, images, (caption) => new Set(contentWords(caption).map(voteKey).filter((key) => wanted.has(key))).size);
}
