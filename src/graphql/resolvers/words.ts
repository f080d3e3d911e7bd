// Resolvers of schema/words.graphql (similarWords, Word.similar): arguments in, service call, shape out.
import type { WordMatch } from '../../services/wordService.js';
import type { GraphQLContext } from '../context.js';

export interface WordParent {
  text: string;
}

const toWordMatch = (match: WordMatch) => ({ word: { text: match.text }, distance: match.distance });

export const wordResolvers = {
  Query: {
    similarWords: async (_: unknown, args: { word: string; first?: number | null }, ctx: GraphQLContext) =>
      (await ctx.services.words.similarWords(args.word, args.first)).map(toWordMatch),
  },
  Word: {
    // Batched: every Word.similar of a response in one statement per `first`.
    similar: async (word: WordParent, args: { first?: number | null }, ctx: GraphQLContext) =>
      (await ctx.loaders.similarWordsTo(args.first).load(word.text)).map(toWordMatch),
  },
};
