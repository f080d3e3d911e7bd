// Lets resolvers add notes to the response's top-level `extensions` (e.g.
// imagesForText's ignored unknown words) without failing the request.
import type { ApolloServerPlugin } from '@apollo/server';

export interface WithResponseExtensions {
  responseExtensions: Record<string, unknown>;
}

export function responseExtensionsPlugin<T extends WithResponseExtensions>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const notes = contextValue.responseExtensions;
          if (response.body.kind !== 'single' || Object.keys(notes).length === 0) return;
          response.body.singleResult.extensions = { ...response.body.singleResult.extensions, ...notes };
        },
      };
    },
  };
}

/** Words a text search ignored (no vector), in `extensions.unknownWords`; several notes in one request (aliases) are merged. */
export function noteUnknownWords(ctx: WithResponseExtensions, words: readonly string[]): void {
  if (words.length === 0) return;
  const previous = (ctx.responseExtensions.unknownWords as string[] | undefined) ?? [];
  ctx.responseExtensions.unknownWords = [...new Set([...previous, ...words])];
}
