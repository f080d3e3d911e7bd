// How values travel to and from SQL: vectors and text arrays as parameters, vector columns as typed arrays.
import pgvector from 'pgvector';

/** A vector as a query parameter (pgvector's own serialisation; typed arrays included). */
export function vectorParam(vector: ArrayLike<number>): string {
  return pgvector.toSql(Array.from(vector)) as string;
}

/** A row type as it arrives, before its vector column `K` becomes a Float32Array. */
export type VectorColumn<Row, K extends keyof Row> = Omit<Row, K> & { [P in K]: number[] };

/** Rows of pgvector columns arrive as number[] (see db/database.ts type parsers). */
export function toFloat32(value: number[] | string): Float32Array {
  return Float32Array.from(typeof value === 'string' ? (pgvector.fromSql(value) as number[]) : value);
}

/**
 * A vector sent as `vector_send(v)` (bytea: int16 dimensions, int16 unused,
 * then big-endian float4s): the stored float4s as they are, read without
 * printing and parsing each number as text.
 */
export function fromVectorSend(bytes: Buffer): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(view.getInt16(0));
  for (let i = 0; i < vector.length; i++) vector[i] = view.getFloat32(4 + 4 * i);
  return vector;
}

/** A text array as one literal: unnest flattens 2-d arrays, so arrays of arrays travel as literals. */
export function toArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
