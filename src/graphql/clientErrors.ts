// The services' ClientErrors as GraphQL errors: the code and details in
// `extensions`, and for a refusal of the whole request its HTTP status and
// Retry-After. Every resolver answers through here.
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ClientError, type ClientErrorCode } from '../errors.js';

/**
 * The codes that set the status of the whole response. A load refusal
 * (OVERLOADED) refuses the request, and clients read the 503; the other codes
 * concern one field, beside which the rest of a query is still answered (200).
 */
const HTTP_STATUS: Partial<Record<ClientErrorCode, number>> = { OVERLOADED: 503 };

export function asGraphQLError(err: ClientError): GraphQLError {
  const retry = err.retryAfterSeconds;
  const status = HTTP_STATUS[err.code];
  const http =
    status === undefined
      ? undefined
      : { status, headers: new HeaderMap(retry === undefined ? [] : [['retry-after', String(retry)]]) };
  return new GraphQLError(err.message, {
    originalError: err,
    extensions: {
      code: err.code,
      ...err.details,
      ...(retry === undefined ? {} : { retryAfterSeconds: retry }),
      ...(http ? { http } : {}),
    },
  });
}

const answered = (err: unknown) => (err instanceof ClientError ? asGraphQLError(err) : err);

type Resolver = (...args: never[]) => unknown;

/** `resolve` answering a ClientError it throws or rejects with as a GraphQL error; anything else passes unchanged. */
function answeringClientErrors<R extends Resolver>(resolve: R): R {
  return ((...args: Parameters<R>) => {
    let result: unknown;
    try {
      result = resolve(...args);
    } catch (err) {
      throw answered(err);
    }
    return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(answered(err))) : result;
  }) as R;
}

/** Every field resolver of a resolver map (type → field → resolver) wrapped by answeringClientErrors. */
export function withClientErrors<T extends Record<string, Record<string, unknown>>>(resolvers: T): T {
  return Object.fromEntries(
    Object.entries(resolvers).map(([typeName, fields]) => [
      typeName,
      Object.fromEntries(
        Object.entries(fields).map(([field, resolve]) => [
          field,
          typeof resolve === 'function' ? answeringClientErrors(resolve as Resolver) : resolve,
        ]),
      ),
    ]),
  ) as T;
}
