// The bench's output: bench/results.json and a table on stdout.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadResult } from './httpLoad.js';
import { round } from './stats.js';

export interface TableRow {
  metric: string;
  value: string;
  goal?: string;
}

export function loadRow(name: string, result: LoadResult, goal?: string): TableRow {
  const { p50, p99 } = result.latencyMs;
  const errors = result.connectionErrors + result.non2xx + result.graphqlErrors;
  return {
    metric: `${name}, ${result.connections} client${result.connections === 1 ? '' : 's'}`,
    value:
      `p50 ${round(p50)} ms, p99 ${round(p99)} ms, ${Math.round(result.rps)} req/s` +
      (errors > 0 ? `, ${errors} errors` : ''),
    goal,
  };
}

export function formatTable(title: string, rows: TableRow[]): string {
  const widths = [
    Math.max(6, ...rows.map((row) => row.metric.length)),
    Math.max(5, ...rows.map((row) => row.value.length)),
  ];
  const line = (a: string, b: string, c: string) => `${a.padEnd(widths[0]!)}  ${b.padEnd(widths[1]!)}  ${c}`.trimEnd();
  return [
    title,
    line('metric', 'value', 'goal'),
    line('-'.repeat(widths[0]!), '-'.repeat(widths[1]!), '----'),
    ...rows.map((row) => line(row.metric, row.value, row.goal ?? '')),
  ].join('\n');
}

export function writeResults(file: string, results: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}
