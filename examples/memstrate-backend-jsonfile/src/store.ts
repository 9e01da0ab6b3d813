import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  assertSameSpace,
  replacedRow,
  BackendUnavailableError,
  ValidationError,
  type AgentMemoryCount,
  type ArchivePage,
  type ArchiveRowOutcome,
  type ArchiveWriteOptions,
  type BackendHealth,
  type DecayPolicy,
  type DeletedMemory,
  type FilterScope,
  type InsertOutcome,
  type ListScope,
  type Logger,
  type MemoryReplacement,
  type MemoryRecord,
  type NewMemoryRow,
  type Owner,
  type ScoredId,
  type SearchScope,
  type SemanticBackend,
  type VectorSpace,
} from 'memstrate';
import { FORMAT, JsonFile, VERSION, type FileContents } from './file.js';
import { fromStored, live, toRecord, toStored, type Memory } from './memory.js';
import { inScope, keywordSearch, listMemories, vectorSearch } from './search.js';
import { termStats } from './keywords.js';

const NAME = 'jsonfile';
/** Largest vector dimension this backend stores (declared as `maxDimensions`). */
export const MAX_DIMENSIONS = 4096;

/**
 * memstrate's SemanticBackend SPI on one JSON file. Everything lives in memory; the file is read
 * once at open and rewritten atomically (write-rename) after every mutation. Operations run one at
 * a time; a mutation whose write fails is rolled back by re-reading the file (the last committed
 * state). Search is brute force: exact cosine, BM25 keywords. One process at a time.
 */
export class JsonFileSemanticBackend implements SemanticBackend {
  readonly name = NAME;
  private space: VectorSpace | undefined;
  private memories = new Map<string, Memory>();
  private nextSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Set when a failed write could not be rolled back: nothing more is served. */
  private broken: Error | undefined;

  private constructor(
    private readonly file: JsonFile,
    private readonly logger: Logger,
  ) {}

  /** Reads the file (a missing one is an empty store) and creates its directory if missing. */
  static async open(path: string, logger: Logger): Promise<JsonFileSemanticBackend> {
    const file = new JsonFile(path);
    const contents = await file.read();
    await file.ensureDirectory();
    const backend = new JsonFileSemanticBackend(file, logger);
    backend.load(contents);
    return backend;
  }

  async vectorSpace(): Promise<VectorSpace | undefined> {
    return this.exclusive(() => (this.space ? { ...this.space } : undefined));
  }

  async fixVectorSpace(space: VectorSpace): Promise<void> {
    const { dimensions } = space;
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new ValidationError(`vector dimensions must be an integer in 1..${MAX_DIMENSIONS}`, { backend: NAME });
    }
    await this.mutate(() => {
      if (this.space) {
        assertSameSpace(this.space, space, NAME);
        return false; // already fixed (compatible): nothing to write
      }
      this.space = { dimensions, embedderId: space.embedderId };
      return true;
    });
  }

  /** Every given vector fits the fixed space (VALIDATION before anything is written). */
  private checkVectors(rows: readonly { embedding?: ArrayLike<number> | undefined }[]): void {
    for (const row of rows) {
      if (row.embedding === undefined) continue;
      if (!this.space) throw new ValidationError('no vector space is fixed for this store', { backend: NAME });
      if (row.embedding.length !== this.space.dimensions) throw new ValidationError(`vectors must have ${this.space.dimensions} dimensions`, { backend: NAME });
    }
  }

  /**
   * A keyed row replaces the live memory of its (agent, key) in place (id, createdAt and access
   * fields kept; an expired one is dropped first); a dedupe row finding its live twin writes nothing.
   */
  async insert(rows: readonly NewMemoryRow[], now: number): Promise<InsertOutcome[]> {
    if (rows.length === 0) return [];
    return this.mutate(() => {
      this.checkVectors(rows);
      const outcomes: InsertOutcome[] = [];
      for (const row of rows) {
        let replaced: Memory | undefined;
        if (row.key !== undefined) {
          replaced = [...this.memories.values()].find((m) => m.agentId === row.agentId && m.key === row.key);
          if (replaced && !live(replaced, now)) {
            this.memories.delete(replaced.id);
            replaced = undefined;
          }
        } else if (row.dedupe) {
          const twin = [...this.memories.values()]
            .filter((m) => m.agentId === row.agentId && m.scope === row.scope && m.content === row.content && m.supersededBy === undefined && live(m, now))
            .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
          if (twin) {
            outcomes.push({ id: twin.id, outcome: 'existing' });
            continue;
          }
        }
        const memory = this.store(row, replaced);
        outcomes.push({ id: memory.id, outcome: replaced ? 'updated' : 'created' });
      }
      return outcomes;
    }, (outcomes) => outcomes.some((o) => o.outcome !== 'existing'));
  }

  /**
   * Stores the row as a memory: a new one, or in place of `replaced` (its id, createdAt, access
   * fields and insertion order kept; keyword statistics recomputed).
   */
  private store(row: NewMemoryRow, replaced: Memory | undefined): Memory {
    const memory: Memory = {
      id: replaced?.id ?? row.id,
      agentId: row.agentId,
      content: row.content,
      source: row.source,
      scope: row.scope,
      metadata: structuredClone(row.metadata),
      confidence: row.confidence,
      createdAt: replaced?.createdAt ?? row.createdAt,
      accessedAt: replaced?.accessedAt ?? row.createdAt,
      accessCount: replaced?.accessCount ?? 0,
      ...(row.embedding ? { embedding: Float32Array.from(row.embedding) } : {}),
      ...(row.key !== undefined ? { key: row.key } : {}),
      ...(row.expiresAt !== undefined ? { expiresAt: row.expiresAt } : {}),
      seq: replaced?.seq ?? this.nextSeq++,
      stats: termStats(row.content),
    };
    this.memories.set(memory.id, memory);
    return memory;
  }

  /** Changes the given fields of a live, unmerged memory in place (as a keyed insert replaces one), in one write of the file. */
  async replace(id: string, fields: MemoryReplacement, now: number): Promise<MemoryRecord | undefined> {
    return this.mutate(() => {
      const current = this.memories.get(id);
      if (!current || current.supersededBy !== undefined || !live(current, now)) return undefined;
      if (fields.embedding) {
        if (!this.space) throw new ValidationError('no vector space is fixed for this store', { backend: NAME });
        if (fields.embedding.length !== this.space.dimensions) throw new ValidationError(`vectors must have ${this.space.dimensions} dimensions`, { backend: NAME });
      }
      const row = replacedRow(current, fields);
      return toRecord(this.store(row, current), true);
    }, (record) => record !== undefined);
  }

  /** Removes every memory expired at `now` (and what merged into one). */
  async purgeExpired(now: number): Promise<number> {
    return this.mutate(() => {
      const expired = new Set([...this.memories.values()].filter((m) => !live(m, now)).map((m) => m.id));
      for (const m of [...this.memories.values()]) if (expired.has(m.id) || (m.supersededBy !== undefined && expired.has(m.supersededBy))) this.memories.delete(m.id);
      return expired.size;
    }, (n) => n > 0);
  }

  async vectorSearch(scope: SearchScope, vector: Float32Array): Promise<ScoredId[]> {
    return this.exclusive(() => vectorSearch(this.memories.values(), scope, vector));
  }

  async keywordSearch(scope: SearchScope, text: string): Promise<ScoredId[]> {
    return this.exclusive(() => keywordSearch([...this.memories.values()], scope, text));
  }

  async count(scope: FilterScope): Promise<number> {
    return this.exclusive(() => {
      let n = 0;
      for (const m of this.memories.values()) if (inScope(m, scope)) n += 1;
      return n;
    });
  }

  async countByAgent(limit: number, now: number): Promise<AgentMemoryCount[]> {
    return this.exclusive(() => {
      const counts = new Map<string, number>();
      for (const m of this.memories.values()) if (m.supersededBy === undefined && live(m, now)) counts.set(m.agentId, (counts.get(m.agentId) ?? 0) + 1);
      const byMost = [...counts].map(([agentId, count]) => ({ agentId, count }));
      byMost.sort((a, b) => b.count - a.count || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
      return byMost.slice(0, limit);
    });
  }

  async list(scope: ListScope): Promise<MemoryRecord[]> {
    return this.exclusive(() => listMemories(this.memories.values(), scope).map((m) => toRecord(m, false)));
  }

  async fetch(ids: readonly string[]): Promise<MemoryRecord[]> {
    return this.exclusive(() => ids.flatMap((id) => {
      const m = this.memories.get(id);
      return m ? [toRecord(m, false)] : [];
    }));
  }

  async get(id: string): Promise<MemoryRecord | undefined> {
    return this.exclusive(() => {
      const m = this.memories.get(id);
      return m ? toRecord(m, true) : undefined;
    });
  }

  /** Removes what count(scope) counts and what merged into it, in one write of the file. */
  async deleteWhere(scope: FilterScope): Promise<DeletedMemory[]> {
    return this.mutate(() => {
      const matched = [...this.memories.values()].filter((m) => inScope(m, scope));
      const gone = new Set(matched.map((m) => m.id));
      for (const m of [...this.memories.values()]) if (gone.has(m.id) || (m.supersededBy !== undefined && gone.has(m.supersededBy))) this.memories.delete(m.id);
      return matched.map((m) => ({ id: m.id, agentId: m.agentId }));
    });
  }

  /** Removes the memory and the duplicates consolidation merged into it (they stood for the same content). */
  async delete(id: string): Promise<Owner | undefined> {
    return this.mutate(() => {
      const target = this.memories.get(id);
      if (!target) return undefined;
      for (const m of [...this.memories.values()]) if (m.supersededBy === id) this.memories.delete(m.id);
      this.memories.delete(id);
      return { agentId: target.agentId };
    }, (owner) => owner !== undefined);
  }

  /** Replaces the vector; a merged (superseded) memory keeps none — it is never recalled on its own. */
  async setEmbedding(id: string, vector: Float32Array): Promise<Owner | undefined> {
    return this.mutate(() => {
      if (!this.space) throw new ValidationError('no vector space is fixed for this store', { backend: NAME });
      const m = this.memories.get(id);
      if (!m) return undefined;
      if (m.supersededBy === undefined) m.embedding = Float32Array.from(vector);
      return { agentId: m.agentId };
    }, (owner) => owner !== undefined);
  }

  async touch(ids: readonly string[], at: number): Promise<void> {
    if (ids.length === 0) return;
    await this.mutate(() => {
      let changed = false;
      for (const id of ids) {
        const m = this.memories.get(id);
        if (!m) continue;
        m.accessCount += 1;
        m.accessedAt = at;
        changed = true;
      }
      return changed;
    });
  }

  /** Live memories last accessed before the cut-off and above the floor get max(floor, confidence × factor). */
  async decay(policy: DecayPolicy): Promise<number> {
    return this.mutate(() => {
      let decayed = 0;
      for (const m of this.memories.values()) {
        if (m.supersededBy !== undefined || !live(m, policy.now) || !(m.accessedAt < policy.accessedBefore) || !(m.confidence > policy.floor)) continue;
        decayed++;
        if (!policy.dryRun) m.confidence = Math.max(policy.floor, m.confidence * policy.factor);
      }
      return decayed;
    }, (decayed) => decayed > 0 && !policy.dryRun);
  }

  /**
   * Exact duplicates (same agent, scope and content among live memories) merge into the oldest
   * (createdAt, then id): it takes the group's highest confidence, summed access counts and latest
   * access, and the first twin's vector when it has none; the twins are kept, linked by
   * `supersededBy`, without vectors.
   */
  async mergeExactDuplicates(options: { dryRun: boolean }): Promise<number> {
    return this.mutate(() => {
      const groups = new Map<string, Memory[]>();
      for (const m of this.memories.values()) {
        // Memories with a key or an expiry are never merged, nor merged into.
        if (m.supersededBy !== undefined || m.key !== undefined || m.expiresAt !== undefined) continue;
        const key = JSON.stringify([m.agentId, m.scope, m.content]);
        const group = groups.get(key);
        if (group) group.push(m);
        else groups.set(key, [m]);
      }
      let merged = 0;
      for (const group of groups.values()) {
        if (group.length < 2) continue;
        merged += group.length - 1;
        if (options.dryRun) continue;
        group.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const [survivor, ...twins] = group as [Memory, ...Memory[]];
        for (const twin of twins) {
          survivor.confidence = Math.max(survivor.confidence, twin.confidence);
          survivor.accessCount += twin.accessCount;
          survivor.accessedAt = Math.max(survivor.accessedAt, twin.accessedAt);
          if (survivor.embedding === undefined && twin.embedding !== undefined) survivor.embedding = twin.embedding;
          twin.supersededBy = survivor.id;
          delete twin.embedding;
        }
      }
      return merged;
    }, (merged) => merged > 0 && !options.dryRun);
  }

  /** A page of every memory (merged and expired ones too) in id order, with vectors; the cursor is the last id. */
  async exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }> {
    const limit = Math.max(1, Math.trunc(page.limit));
    return this.exclusive(() => {
      const agents = page.agentIds === undefined ? undefined : new Set(page.agentIds);
      const after = page.cursor;
      const rows = [...this.memories.values()]
        .filter((m) => (agents === undefined || agents.has(m.agentId)) && (after === undefined || m.id > after))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .slice(0, limit)
        .map((m) => toRecord(m, true));
      return { rows, cursor: rows.length < limit ? undefined : rows.at(-1)?.id };
    });
  }

  /** How many memories exportRows returns for these agents. */
  async countRows(agentIds: readonly string[] | undefined): Promise<number> {
    return this.exclusive(() => {
      const agents = agentIds === undefined ? undefined : new Set(agentIds);
      return [...this.memories.values()].filter((m) => agents === undefined || agents.has(m.agentId)).length;
    });
  }

  /** Stores the memories as they are, in one write of the file. */
  async importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    if (rows.length === 0) return [];
    return this.mutate(() => {
      this.checkVectors(rows);
      return rows.map((row): ArchiveRowOutcome => {
        const found = [...this.memories.values()].filter((m) => m.id === row.id || (row.key !== undefined && m.agentId === row.agentId && m.key === row.key));
        if (found.length > 0 && !options.overwrite) return 'existing';
        for (const m of found) this.memories.delete(m.id);
        this.memories.set(row.id, fromStored(structuredClone(row), this.nextSeq++));
        return found.length > 0 ? 'replaced' : 'created';
      });
    }, (outcomes) => outcomes.some((o) => o !== 'existing'));
  }

  async health(): Promise<BackendHealth> {
    const started = performance.now();
    const report = (ok: boolean, detail?: string): BackendHealth => ({
      name: `semantic:${NAME}`,
      ok,
      latencyMs: performance.now() - started,
      ...(detail ? { detail } : {}),
    });
    if (this.closed) return report(false, 'closed');
    if (this.broken) return report(false, this.broken.message);
    try {
      await access(dirname(this.file.path), constants.W_OK);
      return report(true);
    } catch (error) {
      this.logger.warn({ err: error, backend: NAME }, 'semantic health check failed');
      return report(false, `${dirname(this.file.path)} is not writable`);
    }
  }

  /** Waits for the operations in flight; later calls fail with BACKEND_UNAVAILABLE. Idempotent. */
  async close(): Promise<void> {
    await this.queue.catch(() => {});
    this.closed = true;
  }

  /** Runs `fn` after every operation before it (one at a time, so reads never see a write in flight). */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new BackendUnavailableError('the jsonfile store is closed', { backend: NAME });
      if (this.broken) throw new BackendUnavailableError(`the jsonfile store is unusable: ${this.broken.message}`, { backend: NAME });
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Applies `change` to the in-memory state and writes the file when `changed(result)` says so
   * (default: when the result is truthy). A change that throws, or a write that fails, leaves the
   * last committed state: the file is read back.
   */
  private mutate<T>(change: () => T, changed: (result: T) => boolean = (r) => Boolean(r)): Promise<T> {
    return this.exclusive(async () => {
      try {
        const result = change();
        if (changed(result)) await this.file.write(this.contents());
        return result;
      } catch (error) {
        await this.rollback();
        throw error;
      }
    });
  }

  private async rollback(): Promise<void> {
    try {
      this.load(await this.file.read());
    } catch (error) {
      this.broken = error as Error;
    }
  }

  private load(contents: FileContents | undefined): void {
    this.space = contents?.vectorSpace ?? undefined;
    this.memories = new Map();
    this.nextSeq = 0;
    for (const stored of contents?.memories ?? []) {
      this.memories.set(stored.id, fromStored(stored, this.nextSeq++));
    }
  }

  private contents(): FileContents {
    return { format: FORMAT, version: VERSION, vectorSpace: this.space ?? null, memories: [...this.memories.values()].map(toStored) };
  }
}
