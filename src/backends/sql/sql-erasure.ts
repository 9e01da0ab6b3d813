import type { MainErasureCounts } from '../../contracts/main-backend.js';
import type { SqlEngine } from './engine.js';

/** The table each count of an erasure comes from. */
const ERASED_TABLES: Record<string, keyof MainErasureCounts> = {
  relations: 'relations',
  entities: 'entities',
  kv: 'kvEntries',
  agents: 'agent',
  sessions: 'sessions',
  canonical_sessions: 'canonicalSessions',
  tasks: 'tasks',
  usage_events: 'usageEvents',
  checkpoints: 'checkpoints',
};

/**
 * Removes every row of one agent from the main stores, in one transaction of `engine`: KV entries
 * (expired ones too) and its registry entry, entities and relations, sessions and the canonical
 * session, tasks it created, was assigned or claimed, its checkpoints with their channel values and writes, and — unless kept — its usage events.
 * Returns what each held. The caller writes the audit entry in the same scope.
 */
export async function eraseAgentRows(engine: SqlEngine, agentId: string, options: { usage: boolean }): Promise<MainErasureCounts> {
  const { db } = engine;
  return engine.transaction(async (tx) => {
    const relations = await tx.run(db.deleteFrom('relations').where('agent_id', '=', agentId).compile());
    const entities = await tx.run(db.deleteFrom('entities').where('agent_id', '=', agentId).compile());
    const kvEntries = await tx.run(db.deleteFrom('kv').where('agent_id', '=', agentId).compile());
    const agent = await tx.run(db.deleteFrom('agents').where('id', '=', agentId).compile());
    const sessions = await tx.run(db.deleteFrom('sessions').where('agent_id', '=', agentId).compile());
    const canonicalSessions = await tx.run(db.deleteFrom('canonical_sessions').where('agent_id', '=', agentId).compile());
    const tasks = await tx.run(
      db
        .deleteFrom('tasks')
        .where((eb) => eb.or([eb('created_by', '=', agentId), eb('assigned_to', '=', agentId), eb('claimed_by', '=', agentId)]))
        .compile(),
    );
    const blobs = await tx.run(db.deleteFrom('checkpoint_blobs').where('agent_id', '=', agentId).compile());
    const writes = await tx.run(db.deleteFrom('checkpoint_writes').where('agent_id', '=', agentId).compile());
    const checkpoints = await tx.run(db.deleteFrom('checkpoints').where('agent_id', '=', agentId).compile());
    const usageEvents = options.usage ? await tx.run(db.deleteFrom('usage_events').where('agent_id', '=', agentId).compile()) : 0;
    const counts = { kvEntries, agent, entities, relations, sessions, canonicalSessions, tasks, usageEvents, checkpoints };
    for (const [table, n] of Object.entries(ERASED_TABLES)) if (counts[n] > 0) engine.erasedFrom?.(table);
    if (blobs > 0) engine.erasedFrom?.('checkpoint_blobs');
    if (writes > 0) engine.erasedFrom?.('checkpoint_writes');
    return counts;
  });
}
