// Resolvers of schema/words.graphql (similarWords, Word.similar): arguments in, service call, shape out.
import type { WordMatch } from '../../services/wordService.js';
import type { GraphQLContext } from '../context.js';

export interface WordParent {
  text: string;
}

// The cursor is read from the match only when the query selects it (the service encodes it then).
const toWordMatch = (match: WordMatch) => ({
  word: { text: match.text },
  distance: match.distance,
  get cursor() {
    return match.cursor;
  },
});

export const wordResolvers = {
  Query: {
    similarWords: async (_: unknown, args: { word: string; first?: number | null; after?: string | null }, ctx: GraphQLContext) =>
      (await ctx.services.words.similarWords(args.word, args.first, args.after)).map(toWordMatch),
  },
  Word: {
    // Batched: every Word.similar of a response in one statement per `first`.
    similar: async (word: WordParent, args: { first?: number | null }, ctx: GraphQLContext) =>
      (await ctx.loaders.similarWordsTo(args.first).load(word.text)).map(toWordMatch),
  },
};
