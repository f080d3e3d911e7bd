// Thin: arguments in, service call, shape out.
import type { DuplicateGroup, DuplicatesArgs } from '../../services/duplicateService.js';
import type { GraphQLContext } from '../context.js';

export const duplicateResolvers = {
  Query: {
    duplicates: async (_: unknown, args: DuplicatesArgs, ctx: GraphQLContext): Promise<DuplicateGroup[]> => {
      const groups = await ctx.services.duplicates.duplicates(args);
      // Whole rows: nested Image fields cost no lookup.
      for (const group of groups) {
        for (const image of [group.original, ...group.copies.map((copy) => copy.image)]) ctx.loaders.imageById.prime(image.id, image);
      }
      return groups;
    },
  },
};
