import type { MemoryRecord } from './semantic-store.js';

/**
 * Export / import (src/core/archive-*.ts): the low-level reads and writes a backend offers so an
 * archive keeps every record as it is stored — ids, versions, timestamps, access counts.
 */

/** The type of a column of a main-store row in an archive: string / number, `?` = may be null. */
export type ArchiveColumnType = 's' | 'n' | 's?' | 'n?';

/** One main-store table as archived: its columns (snake_case, as stored) and its primary key. */
export interface ArchiveTableSpec {
  columns: Readonly<Record<string, ArchiveColumnType>>;
  key: readonly string[];
}

/** The main-store tables an archive carries, in the order they are exported and imported. */
export const ARCHIVE_TABLES = {
  agents: { key: ['id'], columns: { id: 's', name: 's', entry: 's', created_at: 'n', updated_at: 'n' } },
  kv: { key: ['agent_id', 'key'], columns: { agent_id: 's', key: 's', value: 's', version: 'n', updated_at: 'n', expires_at: 'n?' } },
  entities: {
    key: ['id'],
    columns: { id: 's', agent_id: 's', entity_type: 's', name: 's', name_folded: 's', properties: 's', created_at: 'n', updated_at: 'n' },
  },
  relations: {
    key: ['id'],
    columns: { id: 's', agent_id: 's', source_entity: 's', relation_type: 's', target_entity: 's', properties: 's', confidence: 'n', created_at: 'n' },
  },
  sessions: {
    key: ['id'],
    columns: { id: 's', agent_id: 's', label: 's?', messages: 's', message_count: 'n', context_window_tokens: 'n', created_at: 'n', updated_at: 'n' },
  },
  canonical_sessions: { key: ['agent_id'], columns: { agent_id: 's', messages: 's', compaction_cursor: 'n', compacted_summary: 's?', updated_at: 'n' } },
  usage_events: {
    key: ['id'],
    columns: { id: 's', agent_id: 's', model: 's', input_tokens: 'n', output_tokens: 'n', cost_usd: 'n', tool_calls: 'n', timestamp: 'n' },
  },
  paired_devices: { key: ['device_id'], columns: { device_id: 's', display_name: 's', platform: 's', paired_at: 'n', last_seen: 'n', push_token: 's?' } },
  tasks: {
    key: ['id'],
    columns: {
      id: 's', title: 's', description: 's', status: 's', priority: 'n', assigned_to: 's?', created_by: 's?', claimed_by: 's?', lease_token: 's?',
      lease_expires_at: 'n?', attempts: 'n', max_attempts: 'n', result: 's?', error: 's?', created_at: 'n', updated_at: 'n', completed_at: 'n?', payload: 's?',
    },
  },
} as const satisfies Record<string, ArchiveTableSpec>;

export type ArchiveTable = keyof typeof ARCHIVE_TABLES;

/** A main-store row as archived: its columns as stored (JSON columns as their text). */
export type ArchiveRow = Record<string, string | number | null>;

/** Where a page of an export starts and which agents it keeps (undefined = every agent). */
export interface ArchivePage {
  /** Opaque: the `cursor` the previous page returned; undefined for the first page. */
  cursor: string | undefined;
  limit: number;
  agentIds: readonly string[] | undefined;
}

/** What an import did with one row: written anew, replaced an existing one, or left an existing one alone. */
export type ArchiveRowOutcome = 'created' | 'replaced' | 'existing';

/** Options of a low-level import: `overwrite` replaces a row with the same key, else it is left alone (`existing`). */
export interface ArchiveWriteOptions {
  overwrite: boolean;
}

/** The main backend's archive reads and writes (MainBackend.archive). */
export interface MainArchive {
  /**
   * A page of `table` in its key order (agents: rows of those agents; tasks: created by, assigned to
   * or claimed by them; paired devices: none when agents are given), with the cursor of the next page
   * (undefined after the last).
   */
  exportRows(table: ArchiveTable, page: ArchivePage): Promise<{ rows: ArchiveRow[]; cursor: string | undefined }>;
  /** How many rows `exportRows` would return over all its pages (for progress and ETA). */
  countRows(table: ArchiveTable, agentIds: readonly string[] | undefined): Promise<number>;
  /** Writes the rows as they are (every column kept) in ONE transaction; one outcome per row, in order. */
  importRows(table: ArchiveTable, rows: readonly ArchiveRow[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]>;
}

/** The semantic side's archive reads and writes (SemanticBackend.archive / SemanticProvider.archive). */
export interface SemanticArchive {
  /**
   * A page of every memory — merged and expired ones too — of the agents (all when undefined), in a
   * stable order, each with its vector (`embedding`) when it has one; with the next page's cursor.
   */
  exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }>;
  /** Optional: how many memories `exportRows` would return over all its pages (for progress and ETA). */
  countRows?(agentIds: readonly string[] | undefined): Promise<number>;
  /**
   * Writes the memories as they are — id, agent, key, timestamps, access counts, supersededBy,
   * expiry, vector — in one unit where the engine can. A memory whose id (or whose agent's key)
   * exists is left alone (`existing`) or, with `overwrite`, replaced whole. One outcome per row.
   * Vectors are of the store's fixed vector space (the caller fixes it first).
   */
  importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]>;
}
