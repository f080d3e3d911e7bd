// One client, one request after another over a kept-alive connection per
// server, taking turns between servers: each request's wall time in ms, with
// sub-millisecond resolution.
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

/**
 * The same `count` requests to `${baseUrl}/graphql` of each server, cycling
 * through `bodies`, one at a time, taking turns request by request (ABBA:
 * which goes first alternates), so whatever else the machine does falls on
 * every server alike; one result per server. A GraphQL error counts as an error.
 */
export async function runInterleaved(baseUrls: readonly string[], bodies: readonly string[], count: number): Promise<SequentialResult[]> {
  const servers = baseUrls.map((baseUrl) => ({
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    url: new URL('/graphql', baseUrl),
    result: { latenciesMs: [], errors: 0 } as SequentialResult,
  }));
  const reversed = [...servers].reverse();
  try {
    for (let i = 0; i < count; i++) {
      for (const { agent, url, result } of i % 2 === 0 ? servers : reversed) {
        const started = process.hrtime.bigint();
        const { status, text } = await post(agent, url, bodies[i % bodies.length]!);
        result.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (status !== 200 || text.includes('"errors":')) {
          result.errors++;
          result.firstError ??= `${status} ${text.slice(0, 300)}`;
        }
      }
    }
  } finally {
    for (const { agent } of servers) agent.destroy();
  }
  return servers.map(({ result }) => result);
}
