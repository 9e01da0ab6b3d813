import type { MemoryRecord } from 'memstrate';
import type { StoredMemory } from './file.js';
import { termStats, type TermStats } from './keywords.js';

/** A memory in memory: the stored fields, its vector as a Float32Array, and what ranking needs. */
export interface Memory extends Omit<StoredMemory, 'embedding'> {
  embedding?: Float32Array;
  /** Insertion order (ties rank in it). */
  seq: number;
  stats: TermStats;
}

export function fromStored(stored: StoredMemory, seq: number): Memory {
  const { embedding, ...fields } = stored;
  return { ...fields, ...(embedding ? { embedding: Float32Array.from(embedding) } : {}), seq, stats: termStats(stored.content) };
}

export function toStored(m: Memory): StoredMemory {
  const { embedding, seq: _seq, stats: _stats, ...fields } = m;
  return { ...fields, ...(embedding ? { embedding: Array.from(embedding) } : {}) };
}

/** Not expired at `now`. */
export function live(m: Pick<Memory, 'expiresAt'>, now: number): boolean {
  return m.expiresAt === undefined || m.expiresAt > now;
}

/** The public record; the vector only when asked for (get), as number[]. */
export function toRecord(m: Memory, withEmbedding: boolean): MemoryRecord {
  const record: MemoryRecord = {
    id: m.id,
    agentId: m.agentId,
    content: m.content,
    source: m.source,
    scope: m.scope,
    metadata: structuredClone(m.metadata),
    confidence: m.confidence,
    createdAt: m.createdAt,
    accessedAt: m.accessedAt,
    accessCount: m.accessCount,
  };
  if (m.supersededBy !== undefined) record.supersededBy = m.supersededBy;
  if (m.key !== undefined) record.key = m.key;
  if (m.expiresAt !== undefined) record.expiresAt = m.expiresAt;
  if (withEmbedding && m.embedding) record.embedding = Array.from(m.embedding);
  return record;
}
