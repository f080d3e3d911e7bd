// Per-request context: the services, and DataLoaders created fresh for each
// request so batching and caching never leak between clients.
import type { Services } from '../app.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
}

export function createContext(services: Services): GraphQLContext {
  return { services, loaders: createLoaders(services) };
}
