import { imageResolvers } from './images.js';
import { tagResolvers } from './tags.js';
import { wordResolvers } from './words.js';

// One resolver map per schema file, merged by type.
const parts = [wordResolvers, imageResolvers, tagResolvers];

export const resolvers = parts.reduce<Record<string, Record<string, unknown>>>((merged, part) => {
  for (const [typeName, fields] of Object.entries(part)) {
    merged[typeName] = { ...(merged[typeName] ?? {}), ...fields };
  }
  return merged;
}, {});
