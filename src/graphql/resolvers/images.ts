// Resolvers of schema/images.graphql (images, similar images, uploads and edits): arguments in, service call, shape out.
import {
  encodeCursor,
  type ImageInput,
  type ImageMatch,
  type ImageRecord,
  type ImageUpdate,
  type SimilarImagesArgs,
} from '../../services/imageService.js';
import type { SteeredSimilarArgs } from '../../services/steeredSimilarity.js';
import type { GraphQLContext } from '../context.js';
import { noteUnknownWords } from '../responseExtensions.js';

/** Matches and pages carry whole rows: prime the loader so nested lookups cost nothing. */
function primed<T extends ImageRecord>(ctx: GraphQLContext, images: T[]): T[] {
  for (const image of images) ctx.loaders.imageById.prime(image.id, image);
  return images;
}

/** Matches: their rows primed, and while the collection is still seeded, how much of it they cover noted. */
function primedMatches(ctx: GraphQLContext, matches: ImageMatch[]): ImageMatch[] {
  const warming = ctx.services.images.warming();
  if (warming) ctx.responseExtensions.warming = warming;
  primed(ctx, matches.map((match) => match.image));
  return matches;
}

export const imageResolvers = {
  Query: {
    image: (_: unknown, args: { id: string }, ctx: GraphQLContext) => ctx.loaders.imageById.load(args.id),
    images: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; category?: string | null; includeReference?: boolean | null },
      ctx: GraphQLContext,
    ) => {
      const page = await ctx.services.images.page(args);
      const edges = primed(ctx, page.nodes).map((node) => ({ cursor: encodeCursor(node.id), node }));
      return {
        edges,
        totalCount: page.totalCount,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
      };
    },
    similarImages: async (_: unknown, args: SimilarImagesArgs & { text?: string | null }, ctx: GraphQLContext) => {
      const { text, ...imageArgs } = args;
      if (text === undefined || text === null) return primedMatches(ctx, await ctx.services.images.similarImages(imageArgs));
      const steered = await ctx.services.steered.similarImages({ ...imageArgs, text } as SteeredSimilarArgs);
      noteUnknownWords(ctx, steered.unknownWords);
      return primedMatches(ctx, steered.matches);
    },
    categories: (_: unknown, args: { includeReference?: boolean | null }, ctx: GraphQLContext) =>
      ctx.services.images.categories(args.includeReference),
  },
  Mutation: {
    addImage: (
      _: unknown,
      args: { image: ImageInput; category?: string | null; captions?: string[] | null },
      ctx: GraphQLContext,
    ) => ctx.services.images.addImage(args.image, args.category, args.captions),
    deleteImage: (_: unknown, args: { id: string }, ctx: GraphQLContext) => ctx.services.images.deleteImage(args.id),
    // Arguments left out are absent from `args`: the service changes only those given.
    updateImage: (_: unknown, { id, ...update }: { id: string } & ImageUpdate, ctx: GraphQLContext) =>
      ctx.services.images.updateImage(id, update),
  },
  Image: {
    url: (image: ImageRecord) => `/images/${encodeURIComponent(image.id)}`,
    // Batched: every Image.similar of a response in one statement per `first`.
    similar: async (image: ImageRecord, args: { first?: number | null; includeReference?: boolean | null }, ctx: GraphQLContext) =>
      primedMatches(ctx, await ctx.loaders.similarImagesTo(args.first, args.includeReference).load(image.id)),
  },
};
