// Per-request context: the services, and the request's own DataLoaders.
import type { Services } from '../services/index.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { WithResponseExtensions } from './responseExtensions.js';

export interface GraphQLContext extends WithResponseExtensions {
  services: Services;
  loaders: Loaders;
}

export function createContext(services: Services): GraphQLContext {
  return { services, loaders: createLoaders(services), responseExtensions: {} };
}
