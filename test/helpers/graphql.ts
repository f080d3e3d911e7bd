// Requests to a running test server: `request` sends any shape over raw HTTP
// (fetch would refuse some), `postGraphQL` a GraphQL POST with its status,
// headers and text, and `gql` just the answer's data and errors.
import http from 'node:http';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [key: string]: unknown } }[];
}

export interface Answer<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as given: chunked unless `headers` declares a content-length. */
  body?: Buffer | string;
}

/** A raw HTTP request, its answer parsed as JSON when it is. */
export function request(url: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A POST to /graphql: `body` as given when it is text or bytes (malformed on
 * purpose), else as JSON. Declares its length as clients do; JSON unless
 * `headers` names another content-type.
 */
export function postGraphQL(
  url: string,
  body: Buffer | string | { query?: string; variables?: Record<string, unknown>; [key: string]: unknown },
  headers: Record<string, string> = {},
): Promise<Answer> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return request(url, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers },
    body: payload,
  });
}

/** The answer's data and errors; throws when the server did not answer JSON. */
export async function gql<T = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse<T>> {
  const answer = await postGraphQL(baseUrl, { query, variables });
  if (answer.body === undefined) throw new Error(`HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 200)}`);
  return answer.body as GraphQLResponse<T>;
}

/** A query of exactly `length` characters, distinct for each k: a comment pads `{ __typename }`. */
export function paddedQuery(k: number, length: number): string {
  const head = `#${k} `;
  const tail = '\n{ __typename }';
  return head + 'x'.repeat(length - head.length - tail.length) + tail;
}
