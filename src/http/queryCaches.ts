// Apollo's caches of parsed documents and of persisted-query text, sized by
// what they really hold. Apollo's default sizes a document by its JSON, which
// leaves out the query text the document keeps alive through its locations
// (`loc.source.body`) and the token list: distinct queries padded with a long
// comment were each counted at ~400 bytes while holding megabytes, until the
// heap ran out. Measured with graphql-js 16 (docs/operations.md): a parsed
// document costs about 2 KB, plus 520 bytes a token, plus its text.
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode, Token } from 'graphql';

/** Bytes of parsed documents kept at most (Apollo's default is 30 MiB of JSON, i.e. several times that held). */
export const DOCUMENT_CACHE_BYTES = 32 * 1024 * 1024;
/** Bytes of persisted-query text kept at most. */
export const PERSISTED_QUERY_CACHE_BYTES = 8 * 1024 * 1024;

const DOCUMENT_BYTES = 2_048;
const TOKEN_BYTES = 520;
/** Map entry, key (a 64-character hash and a prefix) and bookkeeping of one cached item. */
const ENTRY_BYTES = 300;

/** What a parsed document holds: its tokens and its text (two bytes a character at worst). */
export function documentBytes(document: DocumentNode): number {
  let tokens = 0;
  for (let token: Token | null | undefined = document.loc?.startToken; token; token = token.next) tokens++;
  return ENTRY_BYTES + DOCUMENT_BYTES + tokens * TOKEN_BYTES + 2 * (document.loc?.source.body.length ?? 0);
}

export const queryTextBytes = (text: string) => ENTRY_BYTES + 2 * text.length;

export function documentCache(): InMemoryLRUCache<DocumentNode> {
  return new InMemoryLRUCache<DocumentNode>({ maxSize: DOCUMENT_CACHE_BYTES, sizeCalculation: documentBytes });
}

export function persistedQueryCache(): InMemoryLRUCache<string> {
  return new InMemoryLRUCache<string>({ maxSize: PERSISTED_QUERY_CACHE_BYTES, sizeCalculation: queryTextBytes });
}
