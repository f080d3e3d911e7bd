// Per-request context: the services, and the request's own DataLoaders.
import type { Services } from '../services/index.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { OperationRecord, WithOperationRecord } from './operationRecord.js';
import type { WithResponseExtensions } from './responseExtensions.js';

export interface GraphQLContext extends WithResponseExtensions, WithOperationRecord {
  services: Services;
  loaders: Loaders;
}

/** `operation`: where the request log reads what was asked (src/http/requestLog.ts). */
export function createContext(services: Services, operation: OperationRecord = { errorCodes: [] }): GraphQLContext {
  return { services, loaders: createLoaders(services), responseExtensions: {}, operation };
}
