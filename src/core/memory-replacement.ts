import type { MemoryReplacement, NewMemoryRow } from '../contracts/semantic-backend.js';

/** A stored memory as a backend holds it, enough to apply a replacement to (a row's fields, the optional ones optional). */
export type ReplaceableMemory = Omit<NewMemoryRow, 'embedding' | 'key' | 'expiresAt' | 'dedupe'> & Partial<Pick<NewMemoryRow, 'embedding' | 'key' | 'expiresAt'>>;

/**
 * The row a `replace` writes: the given fields over the stored memory (`embedding: null` and
 * `expiresAt: null` clear them); id, agent, key and createdAt stay. For backends that rewrite the
 * whole record (Qdrant, jsonfile); the SQL engines update the columns in place.
 */
export function replacedRow(current: ReplaceableMemory, fields: MemoryReplacement): NewMemoryRow {
  return {
    id: current.id,
    agentId: current.agentId,
    content: fields.content ?? current.content,
    source: fields.source ?? current.source,
    scope: fields.scope ?? current.scope,
    metadata: fields.metadata ?? current.metadata,
    confidence: fields.confidence ?? current.confidence,
    createdAt: current.createdAt,
    embedding: fields.embedding === undefined ? current.embedding : (fields.embedding ?? undefined),
    key: current.key,
    expiresAt: fields.expiresAt === undefined ? current.expiresAt : (fields.expiresAt ?? undefined),
    dedupe: false,
  };
}
