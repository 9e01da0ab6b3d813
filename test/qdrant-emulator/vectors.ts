import type { Schemas } from '@qdrant/js-client-rest';
import { badInput, formatError, unsupported, validationError, vectorNameNotExists } from './errors.js';
import { isObject } from './json-path.js';

export type Distance = Schemas['Distance'];
export const DISTANCES: readonly Distance[] = ['Cosine', 'Euclid', 'Dot', 'Manhattan'];
export interface SparseVector {
  indices: number[];
  values: number[];
}
export type StoredVector = number[] | SparseVector;
/** Vector name → vector; the unnamed (default) vector is stored under "". */
export type NamedVectors = Map<string, StoredVector>;

export interface VectorSchema {
  dense: Map<string, Schemas['VectorParams']>;
  sparse: Map<string, Schemas['SparseVectorParams']>;
  /** Created with `vectors: {size, distance}` rather than a map of names. */
  single: boolean;
}

export const isSparse = (v: StoredVector): v is SparseVector => !Array.isArray(v);

/**
 * Cosine vectors are stored unit-length (lib/segment/src/spaces/simple.rs cosine_preprocess;
 * a zero vector is kept as is). Values are kept as f32.
 */
export function prepareDense(values: number[], distance: Distance): number[] {
  const f32 = values.map((v) => Math.fround(v));
  if (distance !== 'Cosine') return f32;
  const length = Math.sqrt(f32.reduce((sum, v) => sum + v * v, 0));
  if (length === 0) return f32;
  return f32.map((v) => Math.fround(v / length));
}

function parseDense(value: unknown[], field: string): number[] {
  if (value.length > 0 && value.every((v) => Array.isArray(v))) throw unsupported('Multivectors');
  if (!value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw formatError(`${field}: expected a vector of numbers`);
  }
  return value as number[];
}

export function parseSparse(value: Record<string, unknown>, field: string): SparseVector {
  const { indices, values } = value;
  const okIndices = Array.isArray(indices) && indices.every((i) => Number.isInteger(i) && i >= 0 && i <= 0xffffffff);
  const okValues = Array.isArray(values) && values.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!okIndices || !okValues) throw formatError(`${field}: expected a sparse vector {indices: u32[], values: f32[]}`);
  const idx = indices as number[];
  const vals = values as number[];
  // lib/sparse/src/common/sparse_vector.rs validate_sparse_vector_impl: a validation error (422).
  if (idx.length !== vals.length) throw validationError('JSON body', `${field}.values`, 'must be the same length as indices');
  if (new Set(idx).size !== idx.length) throw validationError('JSON body', `${field}.indices`, 'must be unique');
  return { indices: [...idx], values: vals.map((v) => Math.fround(v)) };
}

const isInferenceObject = (value: Record<string, unknown>): boolean =>
  ('text' in value && 'model' in value) || ('image' in value && 'model' in value) || ('object' in value && 'model' in value);

function parseOne(schema: VectorSchema, name: string, value: unknown, field: string): StoredVector {
  const dense = schema.dense.get(name);
  const sparse = schema.sparse.get(name);
  if (Array.isArray(value)) {
    const numbers = parseDense(value, field);
    if (dense === undefined) {
      // lib/collection/src/operations/types.rs: OperationError::WrongSparse → this BadInput.
      if (sparse !== undefined) throw badInput('Conversion between sparse and regular vectors failed');
      throw vectorNameNotExists(name);
    }
    if (numbers.length !== dense.size) {
      throw badInput(`Vector dimension error: expected dim: ${dense.size}, got ${numbers.length}`);
    }
    return prepareDense(numbers, dense.distance);
  }
  if (isObject(value) && 'indices' in value) {
    const parsed = parseSparse(value, field);
    if (sparse === undefined) {
      if (dense !== undefined) throw badInput('Conversion between sparse and regular vectors failed');
      throw vectorNameNotExists(name);
    }
    return parsed;
  }
  if (isObject(value) && isInferenceObject(value)) throw unsupported('Inference objects (Document, Image)');
  throw formatError(`${field}: expected a dense or sparse vector`);
}

/** Parses a point's `vector` (VectorStruct): a bare dense array (the unnamed vector) or a map of names. */
export function parseVectorStruct(schema: VectorSchema, value: unknown, field: string): NamedVectors {
  const out: NamedVectors = new Map();
  if (Array.isArray(value)) {
    out.set('', parseOne(schema, '', value, field));
    return out;
  }
  if (!isObject(value) || isInferenceObject(value)) {
    if (isObject(value)) throw unsupported('Inference objects (Document, Image)');
    throw formatError(`${field}: expected a vector or a map of named vectors`);
  }
  for (const [name, v] of Object.entries(value)) out.set(name, parseOne(schema, name, v, `${field}.${name}`));
  return out;
}

/** Raw similarity; for Euclid and Manhattan it is a distance (smaller is closer). */
export function denseScore(distance: Distance, a: number[], b: number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (distance === 'Euclid') sum += (x - y) * (x - y);
    else if (distance === 'Manhattan') sum += Math.abs(x - y);
    else sum += x * y;
  }
  return Math.fround(distance === 'Euclid' ? Math.sqrt(sum) : sum);
}

export const smallerIsBetter = (distance: Distance): boolean => distance === 'Euclid' || distance === 'Manhattan';

/** The vector as REST shows it: a dense array or {indices, values}. */
export function vectorOutput(v: StoredVector): number[] | SparseVector {
  return isSparse(v) ? { indices: [...v.indices], values: [...v.values] } : [...v];
}
