// One resolver map per schema file, merged by type; the services' ClientErrors answered as GraphQL errors.
import { withClientErrors } from '../clientErrors.js';
import { duplicateResolvers } from './duplicates.js';
import { imageResolvers } from './images.js';
import { imageTextResolvers } from './imageText.js';
import { wordResolvers } from './words.js';

const parts = [wordResolvers, imageResolvers, imageTextResolvers, duplicateResolvers];

export const resolvers = withClientErrors(
  parts.reduce<Record<string, Record<string, unknown>>>((merged, part) => {
    for (const [typeName, fields] of Object.entries(part)) {
      merged[typeName] = { ...(merged[typeName] ?? {}), ...fields };
    }
    return merged;
  }, {}),
);
