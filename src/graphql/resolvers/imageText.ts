// Resolvers of schema/imageText.graphql (tags, imagesForText): arguments in, service call, shape out.
import type { ImageInput, ImageRecord } from '../../services/imageService.js';
import type { ImagesForTextArgs, TagMatch } from '../../services/imageTextService.js';
import type { GraphQLContext } from '../context.js';

const toTag = (tag: TagMatch) => ({
  word: { text: tag.text },
  distance: tag.distance,
  synonyms: tag.synonyms,
  source: tag.source,
});

/** Several unknown-word notes in one request (aliases) are merged. */
function noteUnknownWords(ctx: GraphQLContext, words: string[]) {
  if (words.length === 0) return;
  const previous = (ctx.responseExtensions.unknownWords as string[] | undefined) ?? [];
  ctx.responseExtensions.unknownWords = [...new Set([...previous, ...words])];
}

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
};
