// Resolvers of schema/imageText.graphql (tags, imagesForText): arguments in, service call, shape out.
import type { ImageInput, ImageMatch, ImageRecord } from '../../services/imageService.js';
import type { ImagesForTextArgs, TagMatch } from '../../services/imageTextService.js';
import { tagEvidence, textEvidence, type Vote } from '../../services/voteEvidence.js';
import type { GraphQLContext } from '../context.js';
import { noteUnknownWords } from '../responseExtensions.js';

const toTag = (tag: TagMatch) => ({
  word: { text: tag.text },
  text: tag.text,
  distance: tag.distance,
  synonyms: tag.synonyms,
  source: tag.source,
  // Read only by Tag.evidence.
  get votes() {
    return tag.votes;
  },
});
type TagShape = ReturnType<typeof toTag>;

/** The voters' photos: batched with every other Image of the response (reference photos resolve like any other). */
const votersOf = (votes: readonly Vote[], ctx: GraphQLContext) => ctx.loaders.imageById.loadMany(votes.map((vote) => vote.imageId));


export const imageTextResolvers = {
  Query: {
    tagsForImage: async (
      _: unknown,
      args: { id?: string | null; image?: ImageInput | null; first?: number | null },
      ctx: GraphQLContext,
    ) =>
      (await ctx.services.imageText.tagsForImage(args)).map(toTag),
    imagesForText: async (_: unknown, args: ImagesForTextArgs, ctx: GraphQLContext) => {
      const result = await ctx.services.imageText.imagesForText(args);
      noteUnknownWords(ctx, result.unknownWords);
      for (const match of result.matches) ctx.loaders.imageById.prime(match.image.id, match.image);
      return result.matches;
    },
  },
  Image: {
    tags: async (image: ImageRecord, args: { first?: number | null }, ctx: GraphQLContext) => {
      const first = ctx.services.imageText.checkTagsFirst(args.first);
      return (await ctx.loaders.tagsFor(first).load(image.id)).map(toTag);
    },
  },
  // Evidence is read only when asked: tags carry their voters' ids, text matches their vote keys.
  Tag: {
    evidence: async (tag: TagShape, _: unknown, ctx: GraphQLContext) => tagEvidence(tag, tag.votes, await votersOf(tag.votes, ctx)),
  },
  ImageMatch: {
    evidence: async (match: ImageMatch, _: unknown, ctx: GraphQLContext) => {
      const keys = match.voteKeys ?? [];
      if (keys.length === 0) return [];
      const votes = await ctx.loaders.textVotes.load({ imageId: match.image.id, keys });
      return textEvidence(keys, votes, await votersOf(votes, ctx));
    },
  },
};
