import type { Migration } from 'kysely';
import * as m0001 from './0001_core.js';
import * as m0002 from './0002_semantic.js';
import * as m0003 from './0003_task_payload.js';
import * as m0004 from './0004_kv_expiry.js';
import * as m0005 from './0005_graph.js';
import * as m0006 from './0006_memory_keys.js';
import * as m0007 from './0007_memory_list.js';
import * as m0008 from './0008_keyword_terms.js';
import * as m0009 from './0009_langgraph_checkpoints.js';
import * as m0010 from './0010_agent_memory_counts.js';
import * as m0011 from './0011_keyword_runs.js';
import * as m0012 from './0012_content_terms.js';
import * as m0013 from './0013_agent_counts_by_writers.js';

/** Every SQLite migration, by name (applied in name order by Kysely's Migrator). Never edit one that shipped. */
export const sqliteMigrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_semantic': m0002,
  '0003_task_payload': m0003,
  '0004_kv_expiry': m0004,
  '0005_graph': m0005,
  '0006_memory_keys': m0006,
  '0007_memory_list': m0007,
  '0008_keyword_terms': m0008,
  '0009_langgraph_checkpoints': m0009,
  '0010_agent_memory_counts': m0010,
  '0011_keyword_runs': m0011,
  '0012_content_terms': m0012,
  '0013_agent_counts_by_writers': m0013,
};
