// Per-request context: the services, and DataLoaders created fresh for each
// request so batching and caching never leak between clients.
import type { Services } from '../app.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { WithResponseExtensions } from './responseExtensions.js';
import { createTagLoaders, type TagLoaders } from './tagLoaders.js';

export interface GraphQLContext extends WithResponseExtensions {
  services: Services;
  loaders: Loaders;
  tagLoaders: TagLoaders;
}

export function createContext(services: Services): GraphQLContext {
  return {
    services,
    loaders: createLoaders(services),
    tagLoaders: createTagLoaders(services.textImage),
    responseExtensions: {},
  };
}
