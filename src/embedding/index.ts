// The embedding module: the one narrow interface through which seeds,
// services and evaluation reach every model.
//   embedText(text)      text → GloVe space (mean of known word vectors)
// Image models join here as embedImage(bytes) and projectToWords(vector).
import { dropStopWords, embedTokens, tokenize, type TextEmbedding, type WordVectorLookup } from './text.js';

export type { TextEmbedding } from './text.js';

export interface EmbedTextOptions {
  /** Drop stop words first (text → image search); similarWords keeps them. */
  contentWordsOnly?: boolean;
}

export interface Embedder {
  embedText(text: string, options?: EmbedTextOptions): Promise<TextEmbedding>;
}

export function createEmbedder(deps: { wordVectors: WordVectorLookup }): Embedder {
  return {
    async embedText(text, options = {}) {
      const tokens = tokenize(text);
      return embedTokens(options.contentWordsOnly ? dropStopWords(tokens) : tokens, deps.wordVectors);
    },
  };
}
