import type { Schemas } from '@qdrant/js-client-rest';
import { badInput, formatError, QdrantError, validationError } from './errors.js';
import type { PointId } from './ids.js';
import { isObject, valuesAt, type JsonObject } from './json-path.js';
import { DISTANCES, type NamedVectors, type VectorSchema } from './vectors.js';

export interface StoredPoint {
  id: PointId;
  /** Operation id of the last write to this point. */
  version: number;
  payload: JsonObject;
  vectors: NamedVectors;
}

export type UpdateResult = Schemas['UpdateResult'];

interface Pending {
  apply: () => void;
  timer: NodeJS.Timeout;
}

const PAYLOAD_TYPES: readonly Schemas['PayloadSchemaType'][] = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];

/** Validates one VectorParams (lib/collection/src/operations/types.rs VectorParams: NonZeroU64 size, max 65536). */
export function parseVectorParams(value: unknown, field: string): Schemas['VectorParams'] {
  if (!isObject(value)) throw formatError(`${field}: expected {size, distance}`);
  const { size, distance } = value;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw formatError(`${field}.size: invalid type, expected a nonzero u64`);
  if (size === 0) throw formatError('invalid value: integer `0`, expected a nonzero u64');
  if (size > 65536) throw validationError('JSON body', `${field}.size`, 'value invalid, must be from 1 to 65536');
  if (typeof distance !== 'string' || !(DISTANCES as readonly string[]).includes(distance)) {
    throw formatError(`unknown variant \`${String(distance)}\`, expected one of \`Cosine\`, \`Euclid\`, \`Dot\`, \`Manhattan\``);
  }
  if (value.multivector_config !== undefined && value.multivector_config !== null) throw badInput('multivector_config is not supported by the Qdrant emulator');
  return { ...(value as Schemas['VectorParams']) };
}

export function parseSparseParams(value: unknown, field: string): Schemas['SparseVectorParams'] {
  const params = value ?? {};
  if (!isObject(params)) throw formatError(`${field}: expected an object`);
  const { modifier } = params;
  if (modifier !== undefined && modifier !== null && modifier !== 'idf' && modifier !== 'none') {
    throw formatError(`unknown variant \`${String(modifier)}\`, expected \`none\` or \`idf\``);
  }
  return { ...(params as Schemas['SparseVectorParams']) };
}

export class Collection {
  readonly points = new Map<PointId, StoredPoint>();
  readonly payloadIndexes = new Map<string, Schemas['PayloadFieldSchema']>();
  metadata: JsonObject | undefined;
  private nextOperationId = 0;
  private pending: Pending[] = [];

  constructor(
    readonly schema: VectorSchema,
    metadata: JsonObject | undefined,
  ) {
    this.metadata = metadata;
  }

  static fromCreateBody(body: Schemas['CreateCollection']): Collection {
    const schema: VectorSchema = { dense: new Map(), sparse: new Map(), single: false };
    const vectors: unknown = body.vectors;
    if (isObject(vectors) && 'size' in vectors && 'distance' in vectors) {
      schema.single = true;
      schema.dense.set('', parseVectorParams(vectors, 'vectors'));
    } else if (isObject(vectors)) {
      for (const [name, params] of Object.entries(vectors)) schema.dense.set(name, parseVectorParams(params, `vectors.${name}`));
    } else if (vectors !== undefined && vectors !== null) {
      throw formatError('vectors: expected an object');
    }
    const sparse: unknown = body.sparse_vectors;
    if (isObject(sparse)) {
      for (const [name, params] of Object.entries(sparse)) schema.sparse.set(name, parseSparseParams(params, `sparse_vectors.${name}`));
    }
    const metadata: unknown = body.metadata;
    if (metadata !== undefined && metadata !== null && !isObject(metadata)) throw formatError('metadata: expected an object');
    return new Collection(schema, metadata ?? undefined);
  }

  takeOperationId(): number {
    return this.nextOperationId++;
  }

  /**
   * Runs a prepared write. Waited writes (and every write when delayMs is 0) are applied before the
   * reply, after any earlier unwaited ones. Unwaited writes are applied later, in order, and — like
   * Qdrant's acknowledged writes — their apply-time errors are never reported.
   */
  submit(apply: (operationId: number) => void, wait: boolean, delayMs: number): UpdateResult {
    const operationId = this.takeOperationId();
    const run = (): void => apply(operationId);
    if (wait) {
      this.flush();
      run();
      return { operation_id: operationId, status: 'completed' };
    }
    if (delayMs <= 0) {
      this.flush();
      swallow(run);
      return { operation_id: operationId, status: 'acknowledged' };
    }
    const entry: Pending = { apply: run, timer: setTimeout(() => this.flush(entry), delayMs) };
    this.pending.push(entry);
    return { operation_id: operationId, status: 'acknowledged' };
  }

  /** Applies pending unwaited writes in order, up to and including `until` (all when omitted). */
  flush(until?: Pending): void {
    while (this.pending.length > 0) {
      const next = this.pending.shift() as Pending;
      clearTimeout(next.timer);
      swallow(next.apply);
      if (next === until) return;
    }
  }

  dispose(): void {
    for (const p of this.pending) clearTimeout(p.timer);
    this.pending = [];
  }

  createPayloadIndex(fieldName: unknown, fieldSchema: unknown): void {
    if (typeof fieldName !== 'string' || fieldName === '') throw formatError('field_name: expected a string');
    const type = typeof fieldSchema === 'string' ? fieldSchema : isObject(fieldSchema) ? fieldSchema.type : undefined;
    if (fieldSchema === undefined || fieldSchema === null) {
      throw badInput(`Unable to infer type for the field '${fieldName}'. Please specify \`field_type\``);
    }
    if (typeof type !== 'string' || !(PAYLOAD_TYPES as readonly string[]).includes(type)) {
      throw formatError(`field_schema: unknown payload schema type ${JSON.stringify(type)}`);
    }
    this.payloadIndexes.set(fieldName, fieldSchema as Schemas['PayloadFieldSchema']);
  }

  info(): Schemas['CollectionInfo'] {
    const payloadSchema: Schemas['CollectionInfo']['payload_schema'] = {};
    for (const [field, schema] of this.payloadIndexes) {
      const points = [...this.points.values()].filter((p) => valuesAt(p.payload, field).some((v) => v !== null)).length;
      payloadSchema[field] =
        typeof schema === 'string' ? { data_type: schema, points } : { data_type: schema.type as Schemas['PayloadSchemaType'], params: schema, points };
    }
    const vectors: Schemas['VectorsConfig'] = this.schema.single
      ? (this.schema.dense.get('') as Schemas['VectorParams'])
      : Object.fromEntries(this.schema.dense);
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: this.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors,
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
          ...(this.schema.sparse.size > 0 ? { sparse_vectors: Object.fromEntries(this.schema.sparse) } : {}),
        },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 10000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
        strict_mode_config: { enabled: false },
        ...(this.metadata !== undefined ? { metadata: this.metadata } : {}),
      },
      payload_schema: payloadSchema,
    };
  }
}

function swallow(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof QdrantError)) throw error;
  }
}
