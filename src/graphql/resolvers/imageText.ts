// Resolvers of schema/imageText.graphql (tags, imagesForText): arguments in, service call, shape out.
import type { ImageInput, ImageRecord } from '../../services/imageService.js';
import type { ImagesForTextArgs, TagMatch } from '../../services/imageTextService.js';
import type { GraphQLContext } from '../context.js';
import { noteUnknownWords } from '../responseExtensions.js';

const toTag = (tag: TagMatch) => ({
  word: { text: tag.text },
  distance: tag.distance,
  synonyms: tag.synonyms,
  source: tag.source,
});


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
