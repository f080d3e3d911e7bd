// One client, one request after another over a kept-alive connection: each
// request's wall time in ms, with sub-millisecond resolution.
import http from 'node:http';

export interface SequentialResult {
  latenciesMs: number[];
  errors: number;
  firstError?: string;
}

function post(agent: http.Agent, url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** `count` requests to `${baseUrl}/graphql`, cycling through `bodies`; a GraphQL error counts as an error. */
export async function runSequential(baseUrl: string, bodies: readonly string[], count: number): Promise<SequentialResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL('/graphql', baseUrl);
  const result: SequentialResult = { latenciesMs: [], errors: 0 };
  try {
    for (let i = 0; i < count; i++) {
      const started = process.hrtime.bigint();
      const { status, text } = await post(agent, url, bodies[i % bodies.length]!);
      result.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (status !== 200 || text.includes('"errors":')) {
        result.errors++;
        result.firstError ??= `${status} ${text.slice(0, 300)}`;
      }
    }
  } finally {
    agent.destroy();
  }
  return result;
}
